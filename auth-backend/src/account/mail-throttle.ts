/**
 * Throttling of the endpoints that send mail (forgot password, resend verification, change email),
 * in PostgreSQL like login's (table rate_limit), so that it holds across replicas and restarts:
 * per client IP and action, and per address across all of them, so that nobody can flood a
 * mailbox. The address key is a hash, counted whether or not an account has that address.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../errors';
import { ipKey, rateLimitHeaders, type RateLimitState } from '../auth/login-throttle';

export type MailAction = 'forgot' | 'resend' | 'change';

export interface MailThrottlePolicy {
  ipMax: number;
  ipWindow: number;
  addressMax: number;
  addressWindow: number;
}

const addressKey = (email: string) => createHash('sha256').update(`mail:${email}`).digest('base64url');

export class MailThrottle {
  private readonly perIp: Record<MailAction, RateLimiterPostgres>;
  private readonly perAddress: RateLimiterPostgres;

  constructor(
    pool: pg.Pool,
    private readonly policy: MailThrottlePolicy,
  ) {
    const store = (keyPrefix: string, points: number, duration: number) =>
      new RateLimiterPostgres({ storeClient: pool, storeType: 'pool', tableName: 'rate_limit', tableCreated: true, keyPrefix, points, duration });
    this.perIp = {
      forgot: store('ip-forgot', policy.ipMax, policy.ipWindow),
      resend: store('ip-resend', policy.ipMax, policy.ipWindow),
      change: store('ip-change-email', policy.ipMax, policy.ipWindow),
    };
    this.perAddress = store('mail-address', policy.addressMax, policy.addressWindow);
  }

  /** Counts one request from `ip`; throws a 429 AppError past the limit. */
  async consumeIp(action: MailAction, ip: string): Promise<RateLimitState> {
    return this.consume(this.perIp[action], ipKey(ip), this.policy.ipMax, this.policy.ipWindow);
  }

  /** Counts one mail to `email`; throws a 429 AppError past the limit. */
  async consumeAddress(email: string): Promise<void> {
    await this.consume(this.perAddress, addressKey(email), this.policy.addressMax, this.policy.addressWindow);
  }

  private async consume(limiter: RateLimiterPostgres, key: string, limit: number, windowSeconds: number): Promise<RateLimitState> {
    const state = (result: RateLimiterRes): RateLimitState => ({
      limit,
      remaining: result.remainingPoints,
      resetSeconds: Math.max(1, Math.ceil(result.msBeforeNext / 1000)),
      windowSeconds,
    });
    try {
      return state(await limiter.consume(key));
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const rejected = state(rejection);
      throw new AppError('throttled', 'Too many requests; try again later.', { retryAfterSeconds: rejected.resetSeconds, headers: rateLimitHeaders(rejected) });
    }
  }
}
