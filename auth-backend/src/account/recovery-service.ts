/**
 * Account recovery and email verification: the use cases behind /auth/password/forgot,
 * /auth/password/reset and /auth/email/*. Knows nothing of HTTP. Every mail is queued in the
 * same transaction (or statement) as the token or change it announces; the delivery worker
 * sends it, and `onMailQueued` wakes it once that transaction has committed.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Queryable } from '../db/transaction';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { AppError } from '../errors';
import { withTransaction } from '../db/transaction';
import { isUniqueViolation } from '../db/database-errors';
import type { User, UserRepository } from '../users/user-repository';
import type { PasswordHashing } from '../auth/password-normalization';
import type { PasswordPolicy } from '../auth/password-policy';
import type { SessionStore } from '../auth/session-store';
import type { LoginThrottle } from '../auth/login-throttle';
import type { Authenticated } from '../auth/auth-service';
import { enqueueMail, type MailContent } from '../mail/outbox';
import type { MailTemplates } from '../mail/templates';
import type { MailThrottle } from './mail-throttle';
import { findToken, isLive, issueTokenWithMail, markUsed, revokeTokensOfUser, type TokenPurpose, type TokenRow } from './email-tokens';

export interface RecoveryServiceDeps {
  pool: pg.Pool;
  users: UserRepository;
  /** Over normalised passwords: a reset password logs in as typed on any keyboard. */
  hasher: PasswordHashing;
  policy: PasswordPolicy;
  sessions: SessionStore;
  loginThrottle: LoginThrottle;
  mailThrottle: MailThrottle;
  templates: MailTemplates;
  clock: Clock;
  ttl: { passwordReset: number; emailVerification: number };
  /** Called after a commit that queued mail (wakes the delivery worker of this process). */
  onMailQueued: () => void;
}

const INVALID_TOKEN = 'The link is invalid, expired or already used; ask for a new one.';
const invalidToken = () => new AppError('invalid_token', INVALID_TOKEN);
/** Correlates log lines of one address without writing the address itself (as auth-service does). */
const emailRef = (email: string) => createHash('sha256').update(email).digest('hex').slice(0, 16);

const USER_COLUMNS = `id, email, name, "createdAt", "emailVerifiedAt"`;

export class RecoveryService {
  constructor(private readonly deps: RecoveryServiceDeps) {}

  /** Queues the verification mail of a new or unverified account. */
  async sendVerification(user: { id: string }, log: Logger): Promise<void> {
    await this.issue({ id: user.id }, 'verify-email', this.deps.ttl.emailVerification, (token) => this.deps.templates.verifyEmail(token));
    log.info({ event: 'mail.verification', outcome: 'queued', userId: user.id }, 'verification mail queued');
  }

  /** Always the same answer and the same work; a reset mail only when the account exists. */
  async forgotPassword(email: string, log: Logger): Promise<void> {
    await this.deps.mailThrottle.consumeAddress(email);
    const issued = await this.issue({ email }, 'reset-password', this.deps.ttl.passwordReset, (token) => this.deps.templates.resetPassword(token));
    log.info({ event: 'auth.password-forgot', outcome: issued ? 'queued' : 'no-account', emailRef: emailRef(email) }, 'password reset asked for');
  }

  async resetPassword(input: { token: string; newPassword: string }, log: Logger): Promise<void> {
    const { pool, hasher, policy, sessions, templates, clock } = this.deps;
    const problem = policy.problem(input.newPassword);
    if (problem) throw new AppError('weak_password', `The password ${problem}.`, { errors: [{ path: 'newPassword', message: problem }] });
    // A cheap look first, so that a bad token costs no bcrypt; the transaction checks again under lock.
    const seen = await findToken(pool, input.token, ['reset-password']);
    if (!seen || !this.usableReset(seen)) throw this.refused(log, 'auth.password-reset', seen?.userId);
    const passwordHash = await hasher.hash(input.newPassword);
    const result = await withTransaction(pool, async (client) => {
      const row = await findToken(client, input.token, ['reset-password'], true);
      if (!row || !this.usableReset(row)) return undefined;
      const now = clock();
      // Opening the link proves control of the address, so it counts as verified too.
      await client.query(`UPDATE "user" SET "passwordHash" = $2, "updatedAt" = $3, "emailVerifiedAt" = COALESCE("emailVerifiedAt", $3) WHERE id = $1`, [
        row.userId,
        passwordHash,
        now,
      ]);
      await markUsed(client, row.id, now);
      await revokeTokensOfUser(client, row.userId, now, ['reset-password']);
      const revoked = await sessions.revokeAllOfUser(row.userId, 'password-reset', undefined, client);
      await enqueueMail(client, row.userEmail, templates.passwordChanged(), now);
      return { row, revoked };
    });
    if (!result) throw this.refused(log, 'auth.password-reset', seen.userId);
    this.deps.onMailQueued();
    // The account's login delays were for guesses at the old password.
    await this.deps.loginThrottle.recordSuccess(result.row.userEmail);
    log.info({ event: 'auth.password-reset', outcome: 'success', userId: result.row.userId, revokedSessions: result.revoked }, 'password reset');
  }

  /** Verifies an address (a registration's, or the new one of an email change). Verifying twice answers the same. */
  async verifyEmail(token: string, log: Logger): Promise<User> {
    const { pool, clock } = this.deps;
    let user: User | undefined;
    try {
      user = await withTransaction(pool, async (client) => {
        const row = await findToken(client, token, ['verify-email', 'change-email'], true);
        if (!row) return undefined;
        const now = clock();
        const current = row.userEmail === row.email;
        if (row.usedAt) return current && row.userEmailVerifiedAt ? this.userById(client, row.userId) : undefined;
        if (!isLive(row, now) || (row.purpose === 'verify-email' && !current)) return undefined;
        await markUsed(client, row.id, now);
        if (row.purpose === 'change-email') {
          // Tokens sent to the old address must not act on the account any more.
          await revokeTokensOfUser(client, row.userId, now);
          await client.query(`UPDATE "user" SET email = $2, "emailVerifiedAt" = $3, "updatedAt" = $3 WHERE id = $1`, [row.userId, row.email, now]);
        } else {
          await client.query(`UPDATE "user" SET "emailVerifiedAt" = COALESCE("emailVerifiedAt", $2), "updatedAt" = $2 WHERE id = $1`, [row.userId, now]);
        }
        return this.userById(client, row.userId);
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      log.info({ event: 'auth.email-verify', outcome: 'failure', reason: 'email-taken' }, 'email change refused: address taken meanwhile');
      throw new AppError('email_taken', 'Another account has registered this address meanwhile.');
    }
    if (!user) throw this.refused(log, 'auth.email-verify');
    log.info({ event: 'auth.email-verify', outcome: 'success', userId: user.id }, 'email verified');
    return user;
  }

  async resendVerification(auth: Authenticated, log: Logger): Promise<void> {
    const { user } = auth;
    if (user.emailVerifiedAt) {
      log.info({ event: 'mail.verification', outcome: 'already-verified', userId: user.id }, 'verification not resent: already verified');
      return;
    }
    await this.deps.mailThrottle.consumeAddress(user.email);
    await this.sendVerification(user, log);
  }

  /** Sends a verification link to the new address and a notice to the old one; the address changes at verification. */
  async changeEmail(auth: Authenticated, input: { newEmail: string; currentPassword: string }, log: Logger, signal?: AbortSignal): Promise<void> {
    const { users, hasher, mailThrottle, templates, clock, pool } = this.deps;
    const line = { event: 'auth.email-change', userId: auth.user.id };
    const account = await users.findByIdWithHash(auth.user.id);
    if (!account || !(await hasher.verify(input.currentPassword, account.passwordHash, signal)).ok) {
      log.info({ ...line, outcome: 'failure', reason: 'wrong-password' }, 'email change refused');
      throw new AppError('invalid_credentials', 'The current password is incorrect.');
    }
    if (input.newEmail === account.email) {
      throw new AppError('validation_failed', 'The request body is invalid.', {
        errors: [{ path: 'newEmail', message: 'is already the address of this account' }],
      });
    }
    if (await users.findByEmail(input.newEmail)) {
      log.info({ ...line, outcome: 'failure', reason: 'email-taken' }, 'email change refused');
      throw new AppError('email_taken', 'An account with this email already exists.');
    }
    await mailThrottle.consumeAddress(input.newEmail);
    await withTransaction(pool, async (client) => {
      const now = clock();
      await this.issueOn(client, { id: account.id }, 'change-email', this.deps.ttl.emailVerification, (token) => templates.changeEmail(token), input.newEmail);
      await enqueueMail(client, account.email, templates.emailChangeNotice(input.newEmail), now);
    });
    this.deps.onMailQueued();
    log.info({ ...line, outcome: 'queued', emailRef: emailRef(input.newEmail) }, 'email change asked for: verification mail queued');
  }

  private usableReset(row: TokenRow): boolean {
    // A reset link sent to an address the account no longer has is dead.
    return isLive(row, this.deps.clock()) && row.userEmail === row.email;
  }

  private refused(log: Logger, event: string, userId?: string): AppError {
    log.info({ event, outcome: 'failure', reason: 'invalid-token', userId }, 'token refused');
    return invalidToken();
  }

  private async issue(user: { id: string } | { email: string }, purpose: TokenPurpose, ttlSeconds: number, mail: (token: string) => MailContent) {
    const issued = await this.issueOn(this.deps.pool, user, purpose, ttlSeconds, mail);
    if (issued) this.deps.onMailQueued();
    return issued;
  }

  private issueOn(
    db: Queryable,
    user: { id: string } | { email: string },
    purpose: TokenPurpose,
    ttlSeconds: number,
    mail: (token: string) => MailContent,
    email?: string,
  ): Promise<boolean> {
    return issueTokenWithMail(db, { user, purpose, ttlSeconds, mail, email, now: this.deps.clock() });
  }

  private async userById(client: pg.ClientBase, id: string): Promise<User> {
    const { rows } = await client.query<User>(`SELECT ${USER_COLUMNS} FROM "user" WHERE id = $1`, [id]);
    return rows[0]!;
  }
}
