/**
 * The authentication use cases. Knows nothing of HTTP: callers pass plain values and a logger
 * bound to the request; failures are AppErrors with stable codes.
 */
import type { Logger } from '../logger';
import { AppError } from '../errors';
import type { Authenticated, AuthMethod, User } from '../domain/user';
import type { Transactions } from '../db/transaction';
import type { UsersTable } from '../tables/users';
import type { SessionsTable } from '../tables/sessions';
import type { MfaChallengesTable } from '../tables/mfa-challenges';
import type { AuditEventsTable } from '../tables/audit-events';
import type { RequestMeta } from '../domain/audit';
import type { LoginThrottle } from '../throttle/login-throttle';
import { emailRef } from '../crypto/address-digest';
import type { PasswordPolicy } from './password-policy';
import { InvalidAccessToken, type AccessTokens } from './access-tokens';
import type { PasswordHashing } from './password-normalization';

export type { Authenticated } from '../domain/user';

export interface TokenGrant {
  user: User;
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/** A sign-in whose first factor was right, of an account with an active second factor: no tokens yet. */
export interface MfaRequired {
  mfaRequired: true;
  /** Good for nothing but POST /auth/mfa/verify: opaque, single use, 5 minutes. */
  mfaToken: string;
  methods: ['totp', 'recovery_code'];
}

export type SignInResult = TokenGrant | MfaRequired;

/** Whether `amr` includes a second factor (a TOTP code or a recovery code). */
export const hasSecondFactor = (amr: readonly AuthMethod[]) => amr.includes('otp') || amr.includes('mfa');

export interface AuthServiceDeps {
  users: UsersTable;
  sessions: SessionsTable;
  /** Sign-ins waiting for their second factor (the mfaToken). */
  mfaChallenges: MfaChallengesTable;
  transaction: Transactions;
  /** The audit log: each event written in the transaction of the change it records. */
  audit: AuditEventsTable;
  /** Over normalised passwords (normalizingHasher), like every other use of passwords. */
  hasher: PasswordHashing;
  tokens: AccessTokens;
  throttle: LoginThrottle;
  policy: PasswordPolicy;
  /** Queues the verification mail of a new account (account/recovery-service.ts). */
  onRegistered?: (user: User, log: Logger) => Promise<void>;
  /** REQUIRE_VERIFIED_EMAIL: a right password on an unverified account answers 403. */
  requireVerifiedEmail?: boolean;
  /** Counts login outcomes (metrics: auth_login_attempts_total). */
  onLoginAttempt?: (outcome: 'success' | 'failure' | 'disabled' | 'throttled' | 'unverified') => void;
}

const INVALID_CREDENTIALS = 'The email or password is incorrect.';
const INVALID_REFRESH = 'The refresh token is invalid, expired or revoked.';

export class AuthService {
  constructor(private readonly deps: AuthServiceDeps) {}

  private assertAcceptablePassword(password: string, field: string): void {
    const problem = this.deps.policy.problem(password);
    if (problem) throw new AppError('weak_password', `The password ${problem}.`, { errors: [{ path: field, message: problem }] });
  }

  /**
   * The end of every sign-in (password, the second factor, external providers): opens a session
   * that remembers how the user signed in (`amr`) and hands out its tokens. An account with an
   * active second factor whose sign-in has not passed it yet gets an mfaToken instead, which
   * remembers `amr` for POST /auth/mfa/verify (mfa/mfa-service.ts), whose success ends here again.
   */
  async completeSignIn(user: User, amr: AuthMethod[], userAgent?: string | null, meta?: RequestMeta): Promise<SignInResult> {
    if (user.mfaEnabled && !hasSecondFactor(amr)) {
      const mfaToken = await this.deps.mfaChallenges.open(user.id, amr);
      return { mfaRequired: true, mfaToken, methods: ['totp', 'recovery_code'] };
    }
    const { sessions, users, audit, transaction } = this.deps;
    const { sessionId, refreshToken } = await transaction(async (tx) => {
      const opened = await sessions.open(user.id, amr, userAgent ?? null, tx);
      await users.recordSignIn(tx, user.id);
      await audit.record(tx, { type: 'user.login', userId: user.id, meta, data: { sessionId: opened.sessionId, amr } });
      return opened;
    });
    return this.tokenGrant(user, sessionId, refreshToken, amr);
  }

  private async tokenGrant(user: User, sessionId: string, refreshToken: string, amr: AuthMethod[]): Promise<TokenGrant> {
    const accessToken = await this.deps.tokens.sign({ sub: user.id, sid: sessionId, amr });
    return { user, accessToken, refreshToken, tokenType: 'Bearer', expiresIn: this.deps.tokens.ttlSeconds };
  }

  async register(
    input: { email: string; password: string; name: string | null; userAgent?: string | null; meta?: RequestMeta },
    log: Logger,
    signal?: AbortSignal,
  ): Promise<TokenGrant> {
    this.assertAcceptablePassword(input.password, 'password');
    const passwordHash = await this.deps.hasher.hash(input.password, signal);
    const { users, audit, transaction } = this.deps;
    try {
      const user = await transaction(async (tx) => {
        const created = await users.create({ email: input.email, passwordHash, name: input.name }, tx);
        await audit.record(tx, { type: 'user.registered', userId: created.id, meta: input.meta });
        return created;
      });
      log.info({ event: 'auth.register', outcome: 'success', userId: user.id }, 'account registered');
      await this.deps.onRegistered?.(user, log);
      const signedIn = await this.completeSignIn(user, ['pwd'], input.userAgent, input.meta);
      // A new account has no second factor yet.
      if ('mfaRequired' in signedIn) throw new Error('a new account asked for a second factor');
      return signedIn;
    } catch (error) {
      if (error instanceof AppError)
        log.info({ event: 'auth.register', outcome: 'failure', reason: error.code, emailRef: emailRef(input.email) }, 'registration refused');
      throw error;
    }
  }

  /** `signal` aborts when the client disconnects: queued password work is then skipped. */
  async login(
    input: { email: string; password: string; userAgent?: string | null; meta?: RequestMeta },
    log: Logger,
    signal?: AbortSignal,
  ): Promise<SignInResult> {
    const { users, hasher, throttle } = this.deps;
    const attempt = { event: 'auth.login', emailRef: emailRef(input.email) };
    let attemptNumber: number;
    try {
      // Checks and counts this attempt in one atomic step: parallel guesses count like serial ones.
      attemptNumber = await throttle.beginAttempt(input.email);
    } catch (error) {
      log.warn({ ...attempt, outcome: 'throttled' }, 'login throttled');
      this.deps.onLoginAttempt?.('throttled');
      throw error;
    }
    const { user, hash, check } = await this.checkPassword(input, signal).catch(async (error: unknown) => {
      await throttle.attemptAbandoned(input.email, attemptNumber).catch(() => undefined);
      throw error;
    });
    if (!user || hash === null || !check.ok) {
      await throttle.attemptFailed(input.email, attemptNumber);
      const reason = !user ? 'unknown-email' : hash === null ? 'no-password' : 'wrong-password';
      log.info({ ...attempt, outcome: 'failure', reason }, 'login failed');
      // The address is never recorded: the account's id when there is one, else nothing.
      await this.deps.audit.record(undefined, {
        type: 'user.login_failed',
        userId: user?.id ?? null,
        meta: input.meta,
        data: { reason: 'invalid-credentials' },
      });
      this.deps.onLoginAttempt?.('failure');
      throw new AppError('invalid_credentials', INVALID_CREDENTIALS);
    }
    // With a second factor, the account's failure count stands until that is passed too.
    if (user.mfaEnabled) await throttle.passwordAccepted(input.email, attemptNumber);
    else await throttle.recordSuccess(input.email);
    if (user.disabledAt) {
      log.info({ ...attempt, outcome: 'failure', reason: 'account-disabled', userId: user.id }, 'login refused: account disabled');
      await this.deps.audit.record(undefined, { type: 'user.login_failed', userId: user.id, meta: input.meta, data: { reason: 'account-disabled' } });
      this.deps.onLoginAttempt?.('disabled');
      throw new AppError('account_disabled', 'This account is disabled; contact the administrator.');
    }
    if (this.deps.requireVerifiedEmail && user.emailVerifiedAt === null) {
      log.info({ ...attempt, outcome: 'failure', reason: 'email-not-verified', userId: user.id }, 'login refused: email not verified');
      this.deps.onLoginAttempt?.('unverified');
      throw new AppError('email_not_verified', 'Verify your email address before signing in: see the link in the verification mail.');
    }
    if (check.needsRehash) await users.rehashPassword(user.id, hash, await hasher.hash(input.password));
    log.info(
      { ...attempt, outcome: user.mfaEnabled ? 'second-factor-required' : 'success', userId: user.id, rehashed: check.needsRehash },
      user.mfaEnabled ? 'password accepted: second factor required' : 'login succeeded',
    );
    const { passwordHash, disabledAt, ...account } = user;
    const result = await this.completeSignIn(account, ['pwd'], input.userAgent, input.meta);
    // A sign-in waiting for its second factor is counted when that is passed (or not).
    if (!('mfaRequired' in result)) this.deps.onLoginAttempt?.('success');
    return result;
  }

  /**
   * The account, its hash and whether `password` is its password: the same work when there is no
   * account or the account has no password (a dummy hash is checked, and the answer is no).
   */
  private async checkPassword(input: { email: string; password: string }, signal?: AbortSignal) {
    const { users, hasher } = this.deps;
    const user = await users.findByEmail(input.email);
    const hash = user?.passwordHash ?? null;
    if (hash !== null) return { user, hash, check: await hasher.verify(input.password, hash, signal) };
    await hasher.verifyAgainstDummy(input.password, signal);
    return { user, hash, check: { ok: false, needsRehash: false } };
  }

  async refresh(refreshToken: string, log: Logger, meta?: RequestMeta): Promise<TokenGrant> {
    const result = await this.deps.sessions.rotate(refreshToken, meta);
    if (result.kind === 'rejected') {
      const level = result.reason === 'reused' ? 'warn' : 'info';
      log[level]({ event: 'auth.refresh', outcome: 'failure', reason: result.reason, userId: result.userId, sessionId: result.sessionId }, 'refresh refused');
      throw new AppError('invalid_refresh_token', INVALID_REFRESH);
    }
    log.info({ event: 'auth.refresh', outcome: 'success', userId: result.userId, sessionId: result.sessionId }, 'tokens refreshed');
    return this.tokenGrant(result.user, result.sessionId, result.refreshToken, result.amr);
  }

  async logout(refreshToken: string, log: Logger, meta?: RequestMeta): Promise<void> {
    const { sessions, audit, transaction } = this.deps;
    const revoked = await transaction(async (tx) => {
      const session = await sessions.revokeByToken(refreshToken, 'logout', tx);
      if (session) await audit.record(tx, { type: 'user.logout', userId: session.userId, meta, data: { sessionId: session.sessionId } });
      return session;
    });
    log.info({ event: 'auth.logout', outcome: revoked ? 'success' : 'no-session' }, 'logout');
  }

  async logoutAll(auth: Authenticated, log: Logger, meta?: RequestMeta): Promise<void> {
    const { sessions, audit, transaction } = this.deps;
    const count = await transaction(async (tx) => {
      const revoked = await sessions.revokeAllOfUser(auth.user.id, 'logout-all', undefined, tx);
      await audit.record(tx, { type: 'user.logout', userId: auth.user.id, meta, data: { all: true, sessions: revoked } });
      return revoked;
    });
    log.info({ event: 'auth.logout-all', outcome: 'success', userId: auth.user.id, sessions: count }, 'all sessions revoked');
  }

  /**
   * Changes of one user's password are serialised (the user row is locked while the new hash is
   * written): a change only lands on the hash its current password was checked against, from a
   * session still live. Of concurrent changes the one that lands first wins and its session
   * lives; the others were made with a password or a session it has just replaced, and get 401.
   */
  async changePassword(auth: Authenticated, input: { currentPassword: string; newPassword: string }, log: Logger, meta?: RequestMeta): Promise<void> {
    const { users, sessions, hasher, transaction, audit } = this.deps;
    const refused = (reason: string, detail: string) => {
      log.info({ event: 'auth.password-change', outcome: 'failure', userId: auth.user.id, reason }, 'password change refused');
      return new AppError('invalid_credentials', detail);
    };
    const user = await users.findByIdWithHash(auth.user.id);
    if (user && user.passwordHash === null) {
      log.info({ event: 'auth.password-change', outcome: 'failure', userId: user.id, reason: 'no-password' }, 'password change refused');
      throw new AppError('no_password', 'This account has no password: set one through the password reset (POST /auth/password/forgot).');
    }
    if (!user?.passwordHash || !(await hasher.verify(input.currentPassword, user.passwordHash)).ok)
      throw refused('wrong-password', 'The current password is incorrect.');
    const currentHash = user.passwordHash;
    this.assertAcceptablePassword(input.newPassword, 'newPassword');
    const newHash = await hasher.hash(input.newPassword);
    // A change lands only from a session still live, and only on the hash its current password was
    // checked against (the user row stays locked until the other sessions are revoked).
    const revokedSessions = await transaction(async (tx) => {
      if (!(await sessions.isLive(tx, user.id, auth.sessionId))) return undefined;
      if (!(await users.replacePasswordHash(tx, { userId: user.id, expectedHash: currentHash, newHash }))) return undefined;
      const revoked = await sessions.revokeAllOfUser(user.id, 'password-change', auth.sessionId, tx);
      await audit.record(tx, { type: 'password.changed', userId: user.id, meta, data: { revokedSessions: revoked } });
      return revoked;
    });
    if (revokedSessions === undefined) throw refused('concurrent-change', 'The password or this session was changed meanwhile; sign in again.');
    log.info({ event: 'auth.password-change', outcome: 'success', userId: user.id, revokedSessions }, 'password changed');
  }

  /** Revokes one of the caller's sessions (DELETE /auth/sessions/{id}); false when it is not a live one of theirs. */
  async revokeSession(auth: Authenticated, sessionId: string, meta?: RequestMeta): Promise<boolean> {
    const { sessions, audit, transaction } = this.deps;
    return transaction(async (tx) => {
      if (!(await sessions.revokeOne(auth.user.id, sessionId, 'session-revoked', tx))) return false;
      await audit.record(tx, { type: 'session.revoked', userId: auth.user.id, meta, data: { sessionId, own: sessionId === auth.sessionId } });
      return true;
    });
  }

  /** The user and session behind a bearer access token; 401 AppError otherwise. */
  async authenticate(accessToken: string | undefined, log: Logger): Promise<Authenticated> {
    if (!accessToken) throw new AppError('unauthenticated', 'A bearer access token is required.');
    let claims;
    try {
      claims = await this.deps.tokens.verify(accessToken);
    } catch (error) {
      log.info({ event: 'auth.token', outcome: 'failure', reason: error instanceof InvalidAccessToken ? error.message : 'invalid' }, 'access token refused');
      throw new AppError('unauthenticated', 'The access token is invalid or expired.');
    }
    const caller = await this.deps.sessions.findLive(claims.sub, claims.sid, claims.amr);
    if (!caller) {
      log.info({ event: 'auth.token', outcome: 'failure', reason: 'session-over-or-user-gone', userId: claims.sub }, 'access token refused');
      throw new AppError('unauthenticated', 'The access token is no longer valid.');
    }
    return caller;
  }
}
