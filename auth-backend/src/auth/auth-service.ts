/**
 * The password door: registration, login and password change. Knows nothing of HTTP: callers
 * pass plain values and a logger bound to the request; failures are AppErrors with stable codes.
 * Registration and a right password each end in a sign-in attempt that the caller hands to the
 * one sign-in pipeline (sign-in/), which finishes every sign-in the same way.
 */
import type { Logger } from '../logger';
import { AppError } from '../errors';
import type { Authenticated } from '../domain/user';
import type { Transactions } from '../db/transaction';
import type { UsersTable } from '../tables/users';
import type { SessionsTable } from '../tables/sessions';
import type { AuditLog } from '../audit/audit-log';
import type { RequestMeta } from '../domain/audit';
import { judged, type LoginThrottle } from '../throttle/login-throttle';
import type { AddressDigests } from '../crypto/address-digest';
import type { PasswordPolicy } from '../passwords/password-policy';
import type { PasswordHashing } from '../passwords/password-normalization';
import type { SignInAttempt } from '../sign-in/sign-in-attempt';
import type { PasswordConfirmation } from './password-confirmation';

export interface AuthServiceDeps {
  users: UsersTable;
  sessions: SessionsTable;
  transaction: Transactions;
  /** The audit log: each event written in the transaction of the change it records. */
  audit: AuditLog;
  /** Over normalised passwords (normalizingHasher), like every other use of passwords. */
  hasher: PasswordHashing;
  throttle: LoginThrottle;
  /** Log references of addresses (keyed: crypto/address-digest.ts). */
  digests: AddressDigests;
  policy: PasswordPolicy;
  confirmation: PasswordConfirmation;
  /** Queues the verification mail of a new account (account/recovery-service.ts). */
  onRegistered?: (user: { id: string }, log: Logger) => Promise<void>;
  /** Counts the password door's own outcomes (metrics: auth_login_attempts_total; the pipeline counts the rest). */
  onLoginAttempt?: (outcome: 'failure' | 'throttled') => void;
}

const INVALID_CREDENTIALS = 'The email or password is incorrect.';

export class AuthService {
  constructor(private readonly deps: AuthServiceDeps) {}

  private assertAcceptablePassword(password: string, field: string): void {
    const problem = this.deps.policy.problem(password);
    if (problem) throw new AppError('weak_password', `The password ${problem}.`, { errors: [{ path: field, message: problem }] });
  }

  /** A new account: its sign-in attempt (door `registration`), for the pipeline to open its first session. */
  async register(
    input: { email: string; password: string; name: string | null; userAgent?: string | null; meta?: RequestMeta },
    log: Logger,
    signal?: AbortSignal,
  ): Promise<SignInAttempt> {
    this.assertAcceptablePassword(input.password, 'password');
    await this.deps.policy.assertNotBreached(input.password, 'password');
    const passwordHash = await this.deps.hasher.hash(input.password, signal);
    const { users, audit, transaction } = this.deps;
    try {
      const user = await transaction(async (tx) => {
        const created = await users.in(tx).create({ email: input.email, passwordHash, name: input.name });
        await audit.in(tx).record({ type: 'user.registered', userId: created.id, meta: input.meta });
        return created;
      });
      log.info({ event: 'auth.register', outcome: 'success', userId: user.id }, 'account registered');
      await this.deps.onRegistered?.(user, log);
      return { account: { ...user, disabledAt: null }, amr: ['pwd'], door: 'registration', userAgent: input.userAgent ?? null, meta: input.meta };
    } catch (error) {
      if (error instanceof AppError)
        log.info({ event: 'auth.register', outcome: 'failure', reason: error.code, emailRef: this.deps.digests.ref(input.email) }, 'registration refused');
      throw error;
    }
  }

  /**
   * A login's first factor: the sign-in attempt of the account whose password this is, for the
   * pipeline to finish (JSON API and hosted pages alike); the generic 401 otherwise, the 429 past
   * the account's limit. `signal` aborts when the client disconnects: queued password work is then
   * skipped (and the attempt not counted).
   */
  async passwordSignIn(
    input: { email: string; password: string; userAgent?: string | null; meta?: RequestMeta; clientId?: string },
    log: Logger,
    signal?: AbortSignal,
  ): Promise<SignInAttempt> {
    const { users, hasher, throttle } = this.deps;
    const attempt = { event: 'auth.login', emailRef: this.deps.digests.ref(input.email) };
    let checked;
    try {
      // Checked and counted in one atomic step before the password is: parallel guesses count like serial ones.
      checked = await throttle.guard(input.email, async () => {
        const check = await this.checkPassword(input, signal);
        return judged(!check.ok ? 'failed' : check.account.mfaEnabled ? 'first-factor' : 'succeeded', check);
      });
    } catch (error) {
      if (error instanceof AppError && error.code === 'throttled') {
        log.warn({ ...attempt, outcome: 'throttled' }, 'login throttled');
        this.deps.onLoginAttempt?.('throttled');
      }
      throw error;
    }
    if (!checked.ok) {
      log.info({ ...attempt, outcome: 'failure', reason: checked.reason }, 'login failed');
      // The address is never recorded: the account's id when there is one, else nothing.
      await this.deps.audit.record({ type: 'user.login_failed', userId: checked.userId, meta: input.meta, data: { reason: 'invalid-credentials' } });
      this.deps.onLoginAttempt?.('failure');
      throw new AppError('invalid_credentials', INVALID_CREDENTIALS);
    }
    const { account, hash, needsRehash } = checked;
    if (needsRehash) await users.rehashPassword(account.id, hash, await hasher.hash(input.password));
    const { passwordHash, ...rest } = account;
    return { account: rest, amr: ['pwd'], door: 'password', userAgent: input.userAgent ?? null, meta: input.meta, clientId: input.clientId };
  }

  /**
   * The account behind `email` and whether `password` is its password: the same work when there
   * is no account or the account has no password (a dummy hash is checked, and the answer is no).
   */
  private async checkPassword(input: { email: string; password: string }, signal?: AbortSignal) {
    const { users, hasher } = this.deps;
    const account = await users.findByEmail(input.email);
    if (account?.passwordHash == null) {
      await hasher.verifyAgainstDummy(input.password, signal);
      return { ok: false as const, userId: account?.id ?? null, reason: account ? 'no-password' : 'unknown-email' };
    }
    const check = await hasher.verify(input.password, account.passwordHash, signal);
    if (!check.ok) return { ok: false as const, userId: account.id, reason: 'wrong-password' };
    return { ok: true as const, account, hash: account.passwordHash, needsRehash: check.needsRehash };
  }

  /**
   * Changes of one user's password are serialised (the user row is locked while the new hash is
   * written): a change only lands on the hash its current password was checked against, from a
   * session still live. Of concurrent changes the one that lands first wins and its session
   * lives; the others were made with a password or a session it has just replaced, and get 401.
   * The current password is checked as a login attempt (the account throttle's 429 past its limit).
   */
  async changePassword(auth: Authenticated, input: { currentPassword: string; newPassword: string }, log: Logger, meta?: RequestMeta): Promise<void> {
    const { users, sessions, hasher, transaction, audit, confirmation } = this.deps;
    const refused = (reason: string, detail: string) => {
      log.info({ event: 'auth.password-change', outcome: 'failure', userId: auth.user.id, reason }, 'password change refused');
      return new AppError('invalid_credentials', detail);
    };
    const user = await users.findByIdWithHash(auth.user.id);
    if (!user) throw refused('user-gone', 'The current password is incorrect.');
    if (user.passwordHash === null) {
      log.info({ event: 'auth.password-change', outcome: 'failure', userId: user.id, reason: 'no-password' }, 'password change refused');
      throw new AppError('no_password', 'This account has no password: set one through the password reset (POST /auth/password/forgot).');
    }
    if (!(await confirmation.confirms(user, input.currentPassword))) throw refused('wrong-password', 'The current password is incorrect.');
    const currentHash = user.passwordHash;
    this.assertAcceptablePassword(input.newPassword, 'newPassword');
    await this.deps.policy.assertNotBreached(input.newPassword, 'newPassword');
    const newHash = await hasher.hash(input.newPassword);
    // A change lands only from a session still live, and only on the hash its current password was
    // checked against (the user row stays locked until the other sessions are revoked).
    const revokedSessions = await transaction(async (tx) => {
      if (!(await sessions.in(tx).isLive(user.id, auth.sessionId))) return undefined;
      if (!(await users.in(tx).replacePasswordHash({ userId: user.id, expectedHash: currentHash, newHash }))) return undefined;
      const revoked = await sessions.in(tx).revokeAllOfUser(user.id, 'password-change', auth.sessionId);
      await audit.in(tx).record({ type: 'password.changed', userId: user.id, meta, data: { revokedSessions: revoked } });
      return revoked;
    });
    if (revokedSessions === undefined) throw refused('concurrent-change', 'The password or this session was changed meanwhile; sign in again.');
    log.info({ event: 'auth.password-change', outcome: 'success', userId: user.id, revokedSessions }, 'password changed');
  }
}
