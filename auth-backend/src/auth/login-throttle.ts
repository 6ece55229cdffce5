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
 * each attempt is counted as a failure before its password is checked, and a success resets it;
 * beyond the free failures one attempt at a time is let in, and the next waits for its outcome
 * and the delay it earns. So parallel guesses count exactly like serial ones, on any number of
 * replicas: of 30 guesses sent at once, only the free ones reach the password check.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type pg from 'pg';
import { WindowLimit, type RateLimitState } from './window-limit';
import { AppError } from '../errors';

// The RateLimit header fields live with the window counter; endpoints import them from here too.
export { RATE_LIMIT_HEADER_NAMES, rateLimitHeaders, type RateLimitState } from './window-limit';

export const MAX_CONSECUTIVE_FAILURES = 100;
const FAILURE_WINDOW_SECONDS = 24 * 3600;
/** Longest that an attempt beyond the free failures keeps others out while its password is checked. */
const ATTEMPT_LEASE_SECONDS = 60;
/** How long an attempt waits for another's lease before it answers 429, and how often it looks. */
const LEASE_WAIT_MS = 10_000;
const LEASE_POLL_MS = 50;

export interface ThrottlePolicy {
  ipMax: number;
  ipWindow: number;
  accountFreeFailures: number;
  accountMaxDelay: number;
}

export type ThrottledAction = 'login' | 'register';

const TOO_MANY_ATTEMPTS = 'Too many attempts; try again later.';
/** The per-account 429 (the per-IP one comes from WindowLimit, with its RateLimit headers). */
const throttled = (seconds: number) => new AppError('throttled', TOO_MANY_ATTEMPTS, { retryAfterSeconds: seconds });

export class LoginThrottle {
  private readonly perIp: Record<ThrottledAction, WindowLimit>;

  constructor(
    private readonly pool: pg.Pool,
    private readonly policy: ThrottlePolicy,
  ) {
    const perIp = (keyPrefix: string) => new WindowLimit(pool, keyPrefix, policy.ipMax, policy.ipWindow, TOO_MANY_ATTEMPTS);
    this.perIp = { login: perIp('ip-login'), register: perIp('ip-register') };
  }

  /** Counts one attempt from `ip`; throws a 429 AppError past the limit. */
  async consumeIp(action: ThrottledAction, ip: string): Promise<RateLimitState> {
    return this.perIp[action].consume(ipKey(ip));
  }

  /**
   * One login attempt on the account, checked and counted in one statement: throws a 429
   * AppError while the account is in a delay, else counts the attempt as a failure and returns
   * its number. An attempt beyond the free failures also takes a lease (leasedUntil, at most
   * ATTEMPT_LEASE_SECONDS) until its outcome is known: attemptFailed then starts its delay,
   * recordSuccess resets the account, attemptAbandoned undoes it. Attempts that find the lease
   * taken wait for it (as they would have, one after another) for up to LEASE_WAIT_MS.
   */
  async beginAttempt(email: string): Promise<number> {
    const deadline = Date.now() + LEASE_WAIT_MS;
    for (;;) {
      const { rows } = await this.pool.query<{ failures: number }>({
        name: 'login-failure-begin',
        text: COUNT_FAILURE(true),
        values: this.countValues(email, true),
      });
      if (rows[0]) return rows[0].failures;
      const { seconds, leased } = await this.blockState(email);
      if (!leased || seconds > 0 || Date.now() >= deadline) throw throttled(Math.max(seconds, 1));
      await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
    }
  }

  /** Attempt number `attempt` had a wrong password: if it held the lease, the delay it earned runs from now. */
  async attemptFailed(email: string, attempt: number): Promise<void> {
    if (attempt < this.policy.accountFreeFailures) return;
    await this.pool.query({
      name: 'login-failure-failed',
      text: `UPDATE login_failure SET "blockedUntil" = ${DELAY('failures', '$3')}, "leasedUntil" = NULL WHERE key = $1`,
      values: [accountKey(email), this.policy.accountFreeFailures, this.policy.accountMaxDelay],
    });
  }

  /**
   * Attempt number `attempt` ended before its password was checked (its client left while it
   * waited for a hashing slot, or the database failed): it is not counted. A lease it held is
   * released, and no delay replaces it: the attempt was only let in because the last one was over.
   */
  async attemptAbandoned(email: string, attempt: number): Promise<void> {
    await this.pool.query({
      name: 'login-failure-abandoned',
      text: `UPDATE login_failure SET failures = failures - 1, "leasedUntil" = CASE WHEN $2::boolean THEN NULL ELSE "leasedUntil" END
              WHERE key = $1 AND failures > 0`,
      values: [accountKey(email), attempt >= this.policy.accountFreeFailures],
    });
  }

  /** Counts a failure that did not go through beginAttempt, whether or not the account is in a delay. */
  async recordFailure(email: string): Promise<void> {
    await this.pool.query({ name: 'login-failure-count', text: COUNT_FAILURE(false), values: this.countValues(email, false) });
  }

  /** Throws a 429 AppError while the account is in a delay (a read: counts nothing). */
  async assertAccountAllowed(email: string): Promise<void> {
    const { seconds } = await this.blockState(email);
    if (seconds > 0) throw throttled(seconds);
  }

  async recordSuccess(email: string): Promise<void> {
    await this.pool.query({ name: 'login-failure-reset', text: 'DELETE FROM login_failure WHERE key = $1', values: [accountKey(email)] });
  }

  private countValues(email: string, guarded: boolean): unknown[] {
    const { accountFreeFailures, accountMaxDelay } = this.policy;
    const values = [accountKey(email), accountFreeFailures, FAILURE_WINDOW_SECONDS];
    return guarded ? [...values, MAX_CONSECUTIVE_FAILURES, ATTEMPT_LEASE_SECONDS] : [...values, accountMaxDelay];
  }

  /** Seconds until the account's delay (or daily cap) is over, 0 when none; and whether an attempt holds the lease. */
  private async blockState(email: string): Promise<{ seconds: number; leased: boolean }> {
    const { rows } = await this.pool.query<{ seconds: number | null; leased: boolean }>({
      name: 'login-failure-wait',
      text: `SELECT GREATEST(EXTRACT(EPOCH FROM ("blockedUntil" - now())),
                             CASE WHEN failures >= $2::int THEN EXTRACT(EPOCH FROM ("windowEndsAt" - now())) END)::float8 AS seconds,
                    COALESCE("leasedUntil" > now(), false) AS leased
               FROM login_failure WHERE key = $1`,
      values: [accountKey(email), MAX_CONSECUTIVE_FAILURES],
    });
    return { seconds: Math.max(0, rows[0]?.seconds ?? 0), leased: rows[0]?.leased ?? false };
  }
}

/** The delay that `n` consecutive failures earn, from now ($2 free failures, `max` the maximum delay in seconds); NULL within the free ones. */
const DELAY = (n: string, max: string) => `CASE WHEN ${n} >= $2::int THEN now() + make_interval(secs => LEAST(power(2, ${n} - $2::int), ${max}::float8)) END`;

/**
 * Counts one failure: a new 24-hour window when the last one is over, else one more in it. With
 * `guarded`, an account in a delay, under a lease or at the daily cap is left as it is and no row
 * comes back (ON CONFLICT ... WHERE), and a count beyond the free failures takes the lease; the
 * check and the count are one step under the row lock, so concurrent attempts serialise on it.
 * Unguarded, the count earns its delay at once.
 * $1 key, $2 free failures, $3 window (s); guarded: $4 daily cap, $5 lease (s); unguarded: $4 max delay (s).
 */
const COUNT_FAILURE = (guarded: boolean) => {
  const fresh = `f."windowEndsAt" <= now()`;
  const count = `(CASE WHEN ${fresh} THEN 1 ELSE f.failures + 1 END)`;
  const window = `CASE WHEN ${fresh} THEN now() + make_interval(secs => $3::float8) ELSE f."windowEndsAt" END`;
  if (guarded) {
    const lease = (n: string) => `CASE WHEN ${n} >= $2::int THEN now() + make_interval(secs => $5::float8) END`;
    return `INSERT INTO login_failure AS f (key, failures, "windowEndsAt", "leasedUntil")
            VALUES ($1, 1, now() + make_interval(secs => $3::float8), ${lease('1')})
            ON CONFLICT (key) DO UPDATE SET failures = ${count}, "windowEndsAt" = ${window}, "leasedUntil" = ${lease(count)}
            WHERE (f."blockedUntil" IS NULL OR f."blockedUntil" <= now()) AND (f."leasedUntil" IS NULL OR f."leasedUntil" <= now())
              AND (${fresh} OR f.failures < $4::int)
            RETURNING failures`;
  }
  return `INSERT INTO login_failure AS f (key, failures, "windowEndsAt", "blockedUntil")
          VALUES ($1, 1, now() + make_interval(secs => $3::float8), ${DELAY('1', '$4')})
          ON CONFLICT (key) DO UPDATE SET failures = ${count}, "windowEndsAt" = ${window}, "blockedUntil" = ${DELAY(count, '$4')}
          RETURNING failures`;
};

/** Throttling keys never hold the email itself. */
function accountKey(email: string): string {
  return createHash('sha256').update(email).digest('base64url');
}

/** An address as is; anything else a proxy may have forwarded (any length, any bytes) as a short hash. */
export function ipKey(ip: string): string {
  return isIP(ip) ? ip : `h:${createHash('sha256').update(ip).digest('base64url')}`;
}
