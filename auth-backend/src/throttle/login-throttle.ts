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
import { addressDigest } from '../crypto/address-digest';
import type { LoginFailuresTable } from '../tables/login-failures';
import type { RateLimitState, WindowLimit, WindowLimits } from './window-limit';
import { clientKey } from './client-key';
import { throttled } from './throttled';

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

export type ThrottledAction = 'login' | 'register';

const TOO_MANY_ATTEMPTS = 'Too many attempts; try again later.';
const accountKey = (email: string) => addressDigest(email, 'login-throttle');

export class LoginThrottle {
  private readonly perIp: Record<ThrottledAction, WindowLimit>;

  constructor(
    windows: WindowLimits,
    private readonly failures: LoginFailuresTable,
    private readonly policy: ThrottlePolicy,
  ) {
    const perIp = (keyPrefix: string) => windows.create(keyPrefix, policy.ipMax, policy.ipWindow, TOO_MANY_ATTEMPTS);
    this.perIp = { login: perIp('ip-login'), register: perIp('ip-register') };
  }

  /** Counts one attempt from `ip`; throws the 429 past the limit. */
  async consumeIp(action: ThrottledAction, ip: string): Promise<RateLimitState> {
    return this.perIp[action].consume(clientKey(ip));
  }

  /**
   * One login attempt on the account, checked and counted in one statement: throws the 429 while
   * the account is in a delay, else counts the attempt as a failure and returns its number. An
   * attempt beyond the free failures also takes a lease until its outcome is known:
   * attemptFailed then starts its delay, recordSuccess resets the account, attemptAbandoned
   * undoes it. Attempts that find the lease taken wait for it for up to LEASE_WAIT_MS.
   */
  async beginAttempt(email: string): Promise<number> {
    const key = accountKey(email);
    const deadline = Date.now() + LEASE_WAIT_MS;
    for (;;) {
      const attempt = await this.failures.beginAttempt(key);
      if (attempt !== undefined) return attempt;
      const { seconds, leased } = await this.failures.blockState(key);
      if (!leased || seconds > 0 || Date.now() >= deadline) throw throttled(TOO_MANY_ATTEMPTS, seconds);
      await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
    }
  }

  /** Attempt number `attempt` had a wrong password: if it held the lease, the delay it earned runs from now. */
  async attemptFailed(email: string, attempt: number): Promise<void> {
    if (attempt >= this.policy.accountFreeFailures) await this.failures.startDelay(accountKey(email));
  }

  /**
   * Attempt number `attempt` ended before its password was checked (its client left while it
   * waited for a hashing slot, or the database failed): it is not counted. A lease it held is
   * released, and no delay replaces it: the attempt was only let in because the last one was over.
   */
  async attemptAbandoned(email: string, attempt: number): Promise<void> {
    await this.failures.uncount(accountKey(email), attempt >= this.policy.accountFreeFailures);
  }

  /**
   * Attempt number `attempt` had the right password for an account with a second factor: it is
   * not a failure (uncounted, its lease released, no delay), but the account's count stands until
   * the second factor is passed too (recordSuccess). Wrong codes at POST /auth/mfa/verify are
   * attempts on the same counter, so fresh mfaTokens do not buy fresh guesses.
   */
  async passwordAccepted(email: string, attempt: number): Promise<void> {
    await this.attemptAbandoned(email, attempt);
  }

  async recordSuccess(email: string): Promise<void> {
    await this.failures.reset(accountKey(email));
  }
}
