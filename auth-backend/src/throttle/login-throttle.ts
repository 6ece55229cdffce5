/**
 * Throttling of login and registration, stored in PostgreSQL so that it holds across replicas
 * and restarts.
 *
 * - Per client IP: at most `ipMax` attempts per `ipWindow` seconds (login and register each).
 * - Per account (keyed by a digest of the normalised email, whether or not it exists): after
 *   `accountFreeFailures` consecutive failures, each further failure blocks the account for a
 *   delay that doubles up to `accountMaxDelay`; at 100 consecutive failures in a day it is
 *   blocked until the day is over (NIST SP 800-63B). A success resets the count. Delays, not
 *   lockouts, so nobody can lock a user out for long by guessing wrongly on purpose.
 *
 * Each attempt is counted as a failure before its password is checked (tables/login-failures.ts,
 * one atomic statement), and a success resets it; beyond the free failures one attempt at a time
 * is let in, and the next waits for its outcome and the delay it earns. So parallel guesses count
 * exactly like serial ones, on any number of replicas.
 */
import type { AddressDigests } from '../crypto/address-digest';
import type { LoginFailuresTable } from '../tables/login-failures';
import type { RateLimitState, WindowLimit, WindowLimits } from './window-limit';
import { clientKey } from './client-key';
import { throttled } from './throttled';
import type { Fragment } from '../db/statement';

/** The per-account counters' fixed part of the policy (tables/login-failures.ts). */
export const ACCOUNT_FAILURE_LIMITS = { windowSeconds: 24 * 3600, dailyCap: 100, leaseSeconds: 60 };
/** How long an attempt waits for another's lease before it answers 429, and how often it looks. */
const LEASE_WAIT_MS = 10_000;
const LEASE_POLL_MS = 50;

export interface ThrottlePolicy {
  ipMax: number;
  ipWindow: number;
  accountFreeFailures: number;
  accountMaxDelay: number;
}

/**
 * What is counted per client IP: logins (and second-factor answers, passkey sign-ins), registrations,
 * provider sign-ins started and passkey options asked for without a session (each stores state).
 */
export type ThrottledAction = 'login' | 'register' | 'oidc-start' | 'passkey-options';

/** How an attempt on the account's counter ended (LoginThrottle.guard). */
export type Verdict = 'succeeded' | 'failed' | 'first-factor' | 'uncounted';
export interface Judged<T> {
  verdict: Verdict;
  result: T;
}
export const judged = <T>(verdict: Verdict, result: T): Judged<T> => ({ verdict, result });

const TOO_MANY_ATTEMPTS = 'Too many attempts; try again later.';

export class LoginThrottle {
  private readonly perIp: Record<ThrottledAction, WindowLimit>;

  constructor(
    windows: WindowLimits,
    private readonly failures: LoginFailuresTable,
    private readonly policy: ThrottlePolicy,
    private readonly digests: AddressDigests,
    /** Told once per counting window, when an account's failures reach the daily cap (the security notice). */
    private readonly onDailyCap?: (email: string) => Promise<void>,
  ) {
    const perIp = (keyPrefix: string) => windows.create(keyPrefix, policy.ipMax, policy.ipWindow, TOO_MANY_ATTEMPTS);
    this.perIp = {
      login: perIp('ip-login'),
      register: perIp('ip-register'),
      'oidc-start': perIp('ip-oidc-start'),
      'passkey-options': perIp('ip-passkey-options'),
    };
  }

  /** Counts one attempt from `ip`; throws the 429 past the limit. */
  async consumeIp(action: ThrottledAction, ip: string): Promise<RateLimitState> {
    return this.perIp[action].consume(clientKey(ip));
  }

  /**
   * consumeIp() as a fragment of the statement of the attempt itself (WindowLimit.counting): CTE
   * `name` has a row when the attempt is within the limit. When it has none the statement must fail,
   * and the caller call consumeIp(), which counts the attempt and throws the 429.
   */
  countingIp(action: ThrottledAction, ip: string, name: string): Fragment {
    return this.perIp[action].counting(clientKey(ip), name);
  }

  /**
   * Runs one attempt on the account's counter (a login, a second-factor code, a reauthentication
   * behind a bearer token): checked and counted in one statement before `attempt` runs (the 429
   * while the account is in a delay; beyond the free failures one attempt at a time, the others
   * waiting up to LEASE_WAIT_MS for its outcome), then settled by the verdict it returns:
   * - `failed`: the delay it earned runs from now;
   * - `succeeded`: the account's count is reset;
   * - `first-factor`: a right password of an account with a second factor is not a failure, but
   *   the count stands until the second factor is passed too (fresh mfaTokens buy no fresh guesses);
   * - `uncounted` (or `attempt` throws: its client left, the database failed): as if it never ran.
   * Returns what `attempt` returned.
   */
  async guard<T>(email: string, attempt: () => Promise<Judged<T>>): Promise<T> {
    const key = this.accountKey(email);
    const number = await this.begin(key);
    const holdsLease = number >= this.policy.accountFreeFailures;
    let judged: Judged<T>;
    try {
      judged = await attempt();
    } catch (error) {
      await this.failures.uncount(key, holdsLease).catch(() => undefined);
      throw error;
    }
    if (judged.verdict === 'failed') {
      if (holdsLease) await this.failures.startDelay(key);
      // The count stops at the cap until the window ends: this is reached once per window.
      if (number === ACCOUNT_FAILURE_LIMITS.dailyCap) await this.onDailyCap?.(email);
    } else if (judged.verdict === 'succeeded') await this.failures.reset(key);
    else await this.failures.uncount(key, holdsLease);
    return judged.result;
  }

  /**
   * guard() of an attempt known to succeed if its statement commits, as a fragment of that
   * statement (LoginFailuresTable.succeeding): CTE `name` has a row when the account may try now,
   * and its count is then reset. When it has none, the statement must fail, and the attempt go
   * through guard(), which answers 429 or waits for the lease as for any attempt.
   */
  succeeding(email: string, name: string): Fragment {
    return this.failures.succeeding(this.accountKey(email), name);
  }

  /** Clears the account's counter: its delays were for guesses at a password that a reset has just replaced. */
  async forgive(email: string): Promise<void> {
    await this.failures.reset(this.accountKey(email));
  }

  private accountKey(email: string): string {
    return this.digests.digest(email, 'login-throttle');
  }

  private async begin(key: string): Promise<number> {
    const deadline = Date.now() + LEASE_WAIT_MS;
    for (;;) {
      const attempt = await this.failures.beginAttempt(key);
      if (attempt !== undefined) return attempt;
      const { seconds, leased } = await this.failures.blockState(key);
      if (!leased || seconds > 0 || Date.now() >= deadline) throw throttled(TOO_MANY_ATTEMPTS, seconds);
      await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
    }
  }
}
