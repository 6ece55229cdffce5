/**
 * Table login_failure: the per-account login counters (throttle/login-throttle.ts holds the
 * policy). Keys are address digests, never addresses. Each statement is one atomic step under
 * the row lock, so concurrent attempts on one account serialise on it, on any number of replicas.
 */
import type { Queryable } from '../db/transaction';
import { Table } from './table';
import type { Fragment } from '../db/statement';

export interface FailurePolicy {
  /** Failures before delays start. */
  freeFailures: number;
  /** Longest delay, seconds. */
  maxDelaySeconds: number;
  /** The counting window, seconds (a day). */
  windowSeconds: number;
  /** Consecutive failures in a window after which the account waits for the window's end. */
  dailyCap: number;
  /** Longest that an attempt beyond the free failures keeps others out while its password is checked, seconds. */
  leaseSeconds: number;
}

/** The delay that `n` consecutive failures earn, from now ($2 free failures, `max` the maximum delay in seconds); NULL within the free ones. */
const DELAY = (n: string, max: string) => `CASE WHEN ${n} >= $2::int THEN now() + make_interval(secs => LEAST(power(2, ${n} - $2::int), ${max}::float8)) END`;

/**
 * Counts one attempt as a failure, unless the account is in a delay, under a lease or at the
 * daily cap (then it is left as it is and no row comes back: ON CONFLICT ... WHERE). A new window
 * starts when the last one is over; a count beyond the free failures takes the lease.
 * $1 key, $2 free failures, $3 window (s), $4 daily cap, $5 lease (s).
 */
const fresh = `f."windowEndsAt" <= now()`;
/** Whether counter row `f` lets an attempt in: not in a delay, no attempt holding the lease, not at the daily cap (`cap`) of its window. */
const mayTry = (f: string, cap: string) =>
  `(${f}."blockedUntil" IS NULL OR ${f}."blockedUntil" <= now()) AND (${f}."leasedUntil" IS NULL OR ${f}."leasedUntil" <= now())
    AND (${f}."windowEndsAt" <= now() OR ${f}.failures < ${cap})`;
const count = `(CASE WHEN ${fresh} THEN 1 ELSE f.failures + 1 END)`;
const lease = (n: string) => `CASE WHEN ${n} >= $2::int THEN now() + make_interval(secs => $5::float8) END`;
const BEGIN_ATTEMPT = `
  INSERT INTO login_failure AS f (key, failures, "windowEndsAt", "leasedUntil")
  VALUES ($1, 1, now() + make_interval(secs => $3::float8), ${lease('1')})
  ON CONFLICT (key) DO UPDATE SET failures = ${count},
    "windowEndsAt" = CASE WHEN ${fresh} THEN now() + make_interval(secs => $3::float8) ELSE f."windowEndsAt" END,
    "leasedUntil" = ${lease(count)}
  WHERE ${mayTry('f', '$4::int')}
  RETURNING failures`;

export class LoginFailuresTable extends Table {
  constructor(
    db: Queryable,
    private readonly policy: FailurePolicy,
  ) {
    super(db);
  }

  /** The attempt's number, or undefined when the account may not try now. */
  async beginAttempt(key: string): Promise<number | undefined> {
    const { freeFailures, windowSeconds, dailyCap, leaseSeconds } = this.policy;
    const { rows } = await this.db.query<{ failures: number }>({
      name: 'login-failure-begin',
      text: BEGIN_ATTEMPT,
      values: [key, freeFailures, windowSeconds, dailyCap, leaseSeconds],
    });
    return rows[0]?.failures;
  }

  /**
   * An attempt that succeeds, as a fragment of its own statement: CTE `name` has a row when the
   * account may try now (beginAttempt's rule: the counter row, if any, locked first, so an attempt
   * that began meanwhile is seen), and then the counter is reset, as reset() resets it after a
   * success. When `name` has no row nothing is written here: the statement must fail, and the
   * attempt go through beginAttempt.
   */
  succeeding(key: string, name: string): Fragment {
    return (statement) => {
      const at = statement.bind(key);
      return [
        { name: `${name}_counter`, body: `SELECT f.* FROM login_failure f WHERE f.key = ${at} FOR UPDATE` },
        {
          name,
          body: `SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM ${name}_counter f WHERE NOT (${mayTry('f', `${statement.bind(this.policy.dailyCap)}::int`)}))`,
        },
        { name: `${name}_reset`, body: `DELETE FROM login_failure WHERE key = ${at} AND EXISTS (SELECT 1 FROM ${name}) RETURNING key` },
      ];
    };
  }

  /** The delay that the failures so far earn starts now, and the lease is released. */
  async startDelay(key: string): Promise<void> {
    await this.db.query({
      name: 'login-failure-failed',
      text: `UPDATE login_failure SET "blockedUntil" = ${DELAY('failures', '$3')}, "leasedUntil" = NULL WHERE key = $1`,
      values: [key, this.policy.freeFailures, this.policy.maxDelaySeconds],
    });
  }

  /** Uncounts an attempt that ended before its password was checked; `releaseLease` when it held the lease. */
  async uncount(key: string, releaseLease: boolean): Promise<void> {
    await this.db.query({
      name: 'login-failure-abandoned',
      text: `UPDATE login_failure SET failures = failures - 1, "leasedUntil" = CASE WHEN $2::boolean THEN NULL ELSE "leasedUntil" END
              WHERE key = $1 AND failures > 0`,
      values: [key, releaseLease],
    });
  }

  async reset(key: string): Promise<void> {
    await this.db.query({ name: 'login-failure-reset', text: 'DELETE FROM login_failure WHERE key = $1', values: [key] });
  }

  /** Seconds until the account's delay (or daily cap) is over, 0 when none; and whether an attempt holds the lease. */
  async blockState(key: string): Promise<{ seconds: number; leased: boolean }> {
    const { rows } = await this.db.query<{ seconds: number | null; leased: boolean }>({
      name: 'login-failure-wait',
      text: `SELECT GREATEST(EXTRACT(EPOCH FROM ("blockedUntil" - now())),
                             CASE WHEN failures >= $2::int THEN EXTRACT(EPOCH FROM ("windowEndsAt" - now())) END)::float8 AS seconds,
                    COALESCE("leasedUntil" > now(), false) AS leased
               FROM login_failure WHERE key = $1`,
      values: [key, this.policy.dailyCap],
    });
    return { seconds: Math.max(0, rows[0]?.seconds ?? 0), leased: rows[0]?.leased ?? false };
  }
}
