/**
 * Throttling of the endpoints that send mail (forgot password, resend verification, change email),
 * in PostgreSQL like login's (table rate_limit), so that it holds across replicas and restarts:
 * per client IP and action, and per address across all of them, so that nobody can flood a
 * mailbox. The address key is a hash, counted whether or not an account has that address.
 */
import type { AddressDigests } from '../crypto/address-digest';
import { clientKey } from './client-key';
import type { RateLimitState, WindowLimit, WindowLimits } from './window-limit';

export type MailAction = 'forgot' | 'resend' | 'change';

export interface MailThrottlePolicy {
  ipMax: number;
  ipWindow: number;
  addressMax: number;
  addressWindow: number;
}

const TOO_MANY_REQUESTS = 'Too many requests; try again later.';

export class MailThrottle {
  private readonly perIp: Record<MailAction, WindowLimit>;
  private readonly perAddress: WindowLimit;

  constructor(
    windows: WindowLimits,
    policy: MailThrottlePolicy,
    private readonly digests: AddressDigests,
  ) {
    const perIp = (keyPrefix: string) => windows.create(keyPrefix, policy.ipMax, policy.ipWindow, TOO_MANY_REQUESTS);
    this.perIp = { forgot: perIp('ip-forgot'), resend: perIp('ip-resend'), change: perIp('ip-change-email') };
    this.perAddress = windows.create('mail-address', policy.addressMax, policy.addressWindow, TOO_MANY_REQUESTS);
  }

  /** Counts one request from `ip`; throws a 429 AppError past the limit. */
  async consumeIp(action: MailAction, ip: string): Promise<RateLimitState> {
    return this.perIp[action].consume(clientKey(ip));
  }

  /** Counts one mail to `email`; throws a 429 AppError past the limit. */
  async consumeAddress(email: string): Promise<void> {
    await this.perAddress.consume(this.digests.digest(email, 'mail-throttle'));
  }
}
