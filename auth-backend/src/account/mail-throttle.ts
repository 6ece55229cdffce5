/**
 * Throttling of the endpoints that send mail (forgot password, resend verification, change email),
 * in PostgreSQL like login's (table rate_limit), so that it holds across replicas and restarts:
 * per client IP and action, and per address across all of them, so that nobody can flood a
 * mailbox. The address key is a hash, counted whether or not an account has that address.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { ipKey, type RateLimitState } from '../auth/login-throttle';
import { WindowLimit } from '../auth/window-limit';

export type MailAction = 'forgot' | 'resend' | 'change';

export interface MailThrottlePolicy {
  ipMax: number;
  ipWindow: number;
  addressMax: number;
  addressWindow: number;
}

const addressKey = (email: string) => createHash('sha256').update(`mail:${email}`).digest('base64url');

const TOO_MANY_REQUESTS = 'Too many requests; try again later.';

export class MailThrottle {
  private readonly perIp: Record<MailAction, WindowLimit>;
  private readonly perAddress: WindowLimit;

  constructor(pool: pg.Pool, policy: MailThrottlePolicy) {
    const perIp = (keyPrefix: string) => new WindowLimit(pool, keyPrefix, policy.ipMax, policy.ipWindow, TOO_MANY_REQUESTS);
    this.perIp = { forgot: perIp('ip-forgot'), resend: perIp('ip-resend'), change: perIp('ip-change-email') };
    this.perAddress = new WindowLimit(pool, 'mail-address', policy.addressMax, policy.addressWindow, TOO_MANY_REQUESTS);
  }

  /** Counts one request from `ip`; throws a 429 AppError past the limit. */
  async consumeIp(action: MailAction, ip: string): Promise<RateLimitState> {
    return this.perIp[action].consume(ipKey(ip));
  }

  /** Counts one mail to `email`; throws a 429 AppError past the limit. */
  async consumeAddress(email: string): Promise<void> {
    await this.perAddress.consume(addressKey(email));
  }
}
