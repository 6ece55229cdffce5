/**
 * Throttling of login and registration, stored in PostgreSQL (table rate_limit, owned by the
 * migrations) so that it holds across replicas and restarts.
 *
 * - Per client IP: at most `ipMax` attempts per `ipWindow` seconds (login and register each).
 * - Per account (keyed by a hash of the normalised email, whether or not it exists): after
 *   `accountFreeFailures` consecutive failures, each further failure blocks the account for a
 *   delay that doubles up to `accountMaxDelay`; at 100 consecutive failures in a day it is
 *   blocked until the day is over (NIST SP 800-63B). A success resets the count. Delays, not
 *   lockouts, so nobody can lock a user out for long by guessing wrongly on purpose.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../errors';

export const MAX_CONSECUTIVE_FAILURES = 100;
const FAILURE_WINDOW_SECONDS = 24 * 3600;

export interface ThrottlePolicy {
  ipMax: number;
  ipWindow: number;
  accountFreeFailures: number;
  accountMaxDelay: number;
}

export interface RateLimitState {
  limit: number;
  remaining: number;
  resetSeconds: number;
  windowSeconds: number;
}

export type ThrottledAction = 'login' | 'register';

export const RATE_LIMIT_HEADER_NAMES = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy'];

/** RateLimit header fields (draft-ietf-httpapi-ratelimit-headers) for a state. */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'RateLimit-Limit': String(state.limit),
    'RateLimit-Remaining': String(state.remaining),
    'RateLimit-Reset': String(state.resetSeconds),
    'RateLimit-Policy': `${state.limit};w=${state.windowSeconds}`,
  };
}

const throttled = (seconds: number, headers: Record<string, string> = {}) =>
  new AppError('throttled', 'Too many attempts; try again later.', { retryAfterSeconds: seconds, headers });

export class LoginThrottle {
  private readonly perIp: Record<ThrottledAction, RateLimiterPostgres>;
  private readonly failures: RateLimiterPostgres;
  private readonly blocks: RateLimiterPostgres;

  constructor(
    pool: pg.Pool,
    private readonly policy: ThrottlePolicy,
  ) {
    const store = (keyPrefix: string, points: number, duration: number) =>
      new RateLimiterPostgres({ storeClient: pool, storeType: 'pool', tableName: 'rate_limit', tableCreated: true, keyPrefix, points, duration });
    this.perIp = { login: store('ip-login', policy.ipMax, policy.ipWindow), register: store('ip-register', policy.ipMax, policy.ipWindow) };
    this.failures = store('account-failures', MAX_CONSECUTIVE_FAILURES, FAILURE_WINDOW_SECONDS);
    this.blocks = store('account-block', 1, 1);
  }

  /** Counts one attempt from `ip`; throws a 429 AppError past the limit. */
  async consumeIp(action: ThrottledAction, ip: string): Promise<RateLimitState> {
    try {
      return this.state(await this.perIp[action].consume(ip));
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const state = this.state(rejection);
      throw throttled(state.resetSeconds, rateLimitHeaders(state));
    }
  }

  /** Throws a 429 AppError while the account is in a delay. */
  async assertAccountAllowed(email: string): Promise<void> {
    const key = accountKey(email);
    const [block, failures] = await Promise.all([this.blocks.get(key), this.failures.get(key)]);
    if (block && block.consumedPoints > 1) throw throttled(block.msBeforeNext / 1000);
    if (failures && failures.consumedPoints >= MAX_CONSECUTIVE_FAILURES) throw throttled(failures.msBeforeNext / 1000);
  }

  /** Records a failed login and starts the next delay when the free failures are used up. */
  async recordFailure(email: string): Promise<void> {
    const key = accountKey(email);
    let consumed: number;
    try {
      consumed = (await this.failures.consume(key)).consumedPoints;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      return; // Already at the cap: assertAccountAllowed blocks until the window ends.
    }
    const beyondFree = consumed - this.policy.accountFreeFailures;
    if (beyondFree >= 0) await this.blocks.block(key, Math.min(2 ** beyondFree, this.policy.accountMaxDelay));
  }

  async recordSuccess(email: string): Promise<void> {
    const key = accountKey(email);
    await Promise.all([this.failures.delete(key), this.blocks.delete(key)]);
  }

  private state(result: RateLimiterRes): RateLimitState {
    return {
      limit: this.policy.ipMax,
      remaining: result.remainingPoints,
      resetSeconds: Math.max(1, Math.ceil(result.msBeforeNext / 1000)),
      windowSeconds: this.policy.ipWindow,
    };
  }
}

/** Throttling keys never hold the email itself. */
function accountKey(email: string): string {
  return createHash('sha256').update(email).digest('base64url');
}
