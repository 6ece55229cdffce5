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
 *
 * The account check and count are one atomic statement on table login_failure (beginAttempt):
 * each attempt is counted as a failure before its password is checked, and a success undoes it.
 * So parallel guesses count exactly like serial ones, on any number of replicas: of 30 guesses
 * sent at once, only the free ones reach the password check.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
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

  constructor(
    private readonly pool: pg.Pool,
    private readonly policy: ThrottlePolicy,
  ) {
    const store = (keyPrefix: string, points: number, duration: number) =>
      new RateLimiterPostgres({ storeClient: pool, storeType: 'pool', tableName: 'rate_limit', tableCreated: true, keyPrefix, points, duration });
    this.perIp = { login: store('ip-login', policy.ipMax, policy.ipWindow), register: store('ip-register', policy.ipMax, policy.ipWindow) };
  }

  /** Counts one attempt from `ip`; throws a 429 AppError past the limit. */
  async consumeIp(action: ThrottledAction, ip: string): Promise<RateLimitState> {
    try {
      return this.state(await this.perIp[action].consume(ipKey(ip)));
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const state = this.state(rejection);
      throw throttled(state.resetSeconds, rateLimitHeaders(state));
    }
  }

  /**
   * One login attempt on the account, checked and counted in one statement: throws a 429
   * AppError while the account is in a delay, else counts the attempt as a failure (and starts
   * the next delay if the free failures are used up). Call attemptFailed or recordSuccess after.
   */
  async beginAttempt(email: string): Promise<void> {
    const { rowCount } = await this.pool.query({ name: 'login-failure-begin', text: COUNT_FAILURE(true), values: this.countValues(email, true) });
    if (rowCount === 0) throw throttled(await this.secondsBlocked(email));
  }

  /** The attempt's password was wrong: its delay (if any) runs from now, not from when it began. */
  async attemptFailed(email: string): Promise<void> {
    await this.pool.query({
      name: 'login-failure-rebase',
      text: `UPDATE login_failure SET "blockedUntil" = now() + make_interval(secs => LEAST(power(2, failures - $2::int), $3::float8))
              WHERE key = $1 AND failures >= $2::int`,
      values: [accountKey(email), this.policy.accountFreeFailures, this.policy.accountMaxDelay],
    });
  }

  /** Counts a failure that did not go through beginAttempt, whether or not the account is in a delay. */
  async recordFailure(email: string): Promise<void> {
    await this.pool.query({ name: 'login-failure-count', text: COUNT_FAILURE(false), values: this.countValues(email, false) });
  }

  /** Throws a 429 AppError while the account is in a delay (a read: counts nothing). */
  async assertAccountAllowed(email: string): Promise<void> {
    const seconds = await this.secondsBlocked(email);
    if (seconds > 0) throw throttled(seconds);
  }

  async recordSuccess(email: string): Promise<void> {
    await this.pool.query({ name: 'login-failure-reset', text: 'DELETE FROM login_failure WHERE key = $1', values: [accountKey(email)] });
  }

  private countValues(email: string, guarded: boolean): unknown[] {
    const { accountFreeFailures, accountMaxDelay } = this.policy;
    const values = [accountKey(email), accountFreeFailures, accountMaxDelay, FAILURE_WINDOW_SECONDS];
    return guarded ? [...values, MAX_CONSECUTIVE_FAILURES] : values;
  }

  /** Seconds until the account may try again; 0 when it may now. */
  private async secondsBlocked(email: string): Promise<number> {
    const { rows } = await this.pool.query<{ seconds: number | null }>({
      name: 'login-failure-wait',
      text: `SELECT GREATEST(EXTRACT(EPOCH FROM ("blockedUntil" - now())),
                             CASE WHEN failures >= $2::int THEN EXTRACT(EPOCH FROM ("windowEndsAt" - now())) END)::float8 AS seconds
               FROM login_failure WHERE key = $1`,
      values: [accountKey(email), MAX_CONSECUTIVE_FAILURES],
    });
    return Math.max(0, rows[0]?.seconds ?? 0);
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

/**
 * Counts one failure: a new 24-hour window when the last one is over, else one more in it, and
 * the delay that the new count earns. With `guarded`, an account in a delay or at the daily cap
 * is left as it is and no row comes back (ON CONFLICT ... WHERE): the check and the count are
 * one step under the row lock, so concurrent attempts serialise on it.
 * $1 key, $2 free failures, $3 max delay (s), $4 window (s), $5 daily cap.
 */
const COUNT_FAILURE = (guarded: boolean) => {
  const fresh = `f."windowEndsAt" <= now()`;
  const count = `(CASE WHEN ${fresh} THEN 1 ELSE f.failures + 1 END)`;
  const delay = (n: string) => `CASE WHEN ${n} >= $2::int THEN now() + make_interval(secs => LEAST(power(2, ${n} - $2::int), $3::float8)) END`;
  const guard = `WHERE (f."blockedUntil" IS NULL OR f."blockedUntil" <= now()) AND (${fresh} OR f.failures < $5::int)`;
  return `INSERT INTO login_failure AS f (key, failures, "windowEndsAt", "blockedUntil")
          VALUES ($1, 1, now() + make_interval(secs => $4::float8), ${delay('1')})
          ON CONFLICT (key) DO UPDATE SET
            failures = ${count},
            "windowEndsAt" = CASE WHEN ${fresh} THEN now() + make_interval(secs => $4::float8) ELSE f."windowEndsAt" END,
            "blockedUntil" = ${delay(count)}
          ${guarded ? guard : ''}`;
};

/** Throttling keys never hold the email itself. */
function accountKey(email: string): string {
  return createHash('sha256').update(email).digest('base64url');
}

/** An address as is; anything else a proxy may have forwarded (any length, any bytes) as a short hash. */
function ipKey(ip: string): string {
  return isIP(ip) ? ip : `h:${createHash('sha256').update(ip).digest('base64url')}`;
}
