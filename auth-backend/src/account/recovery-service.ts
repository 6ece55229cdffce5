/**
 * Account recovery and email verification: the use cases behind /auth/password/forgot,
 * /auth/password/reset and /auth/email/*. Knows nothing of HTTP. Every mail is queued in the
 * same transaction as the token or change it announces; the outbox's notification wakes the
 * delivery worker once that transaction has committed.
 */
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { AppError } from '../errors';
import { commitWithoutWaitingForFlush, type Transaction, type Transactions } from '../db/transaction';
import { isUniqueViolation } from '../db/database-errors';
import type { Authenticated, User } from '../domain/user';
import type { AddressDigests } from '../crypto/address-digest';
import type { UsersTable } from '../tables/users';
import type { AuditLog } from '../audit/audit-log';
import type { RequestMeta } from '../domain/audit';
import type { SessionsTable } from '../tables/sessions';
import { isUsable, type EmailTokensTable, type TokenPurpose, type TokenRow } from '../tables/email-tokens';
import type { MailContent, MailOutboxTable } from '../tables/mail-outbox';
import type { PasswordHashing } from '../passwords/password-normalization';
import type { PasswordPolicy } from '../passwords/password-policy';
import type { LoginThrottle } from '../throttle/login-throttle';
import type { PasswordConfirmation } from '../auth/password-confirmation';
import type { UnprovedAccount } from './unproved-account';
import type { MailThrottle } from '../throttle/mail-throttle';
import type { MailTemplates } from '../mail/templates';

export interface RecoveryServiceDeps {
  transaction: Transactions;
  users: UsersTable;
  sessions: SessionsTable;
  emailTokens: EmailTokensTable;
  outbox: MailOutboxTable;
  audit: AuditLog;
  /** Over normalised passwords: a reset password logs in as typed on any keyboard. */
  hasher: PasswordHashing;
  policy: PasswordPolicy;
  loginThrottle: LoginThrottle;
  /** Log references of addresses (keyed: crypto/address-digest.ts). */
  digests: AddressDigests;
  /** What the first proof of a never-verified address removes (account/unproved-account.ts). */
  unproved: UnprovedAccount;
  /** The current password behind a bearer token, counted on the account's login throttle. */
  confirmation: PasswordConfirmation;
  mailThrottle: MailThrottle;
  templates: MailTemplates;
  clock: Clock;
  ttl: { passwordReset: number; emailVerification: number };
}

const INVALID_TOKEN = 'The link is invalid, expired or already used; ask for a new one.';
const invalidToken = () => new AppError('invalid_token', INVALID_TOKEN);

export class RecoveryService {
  constructor(private readonly deps: RecoveryServiceDeps) {}

  /** Queues the verification mail of a new or unverified account. */
  async sendVerification(user: { id: string }, log: Logger): Promise<void> {
    await this.deps.transaction((tx) => this.issue(tx, { id: user.id }, 'verify-email', (token) => this.deps.templates.verifyEmail(token)));
    log.info({ event: 'mail.verification', outcome: 'queued', userId: user.id }, 'verification mail queued');
  }

  /** Always the same answer and the same work; a reset mail only when the account exists. */
  async forgotPassword(email: string, log: Logger): Promise<void> {
    await this.deps.mailThrottle.consumeAddress(email);
    const issued = await this.deps.transaction(async (tx) => {
      // A flushed commit for a known address only would time apart the two answers.
      await commitWithoutWaitingForFlush(tx);
      return this.issue(tx, { email }, 'reset-password', (token) => this.deps.templates.resetPassword(token));
    });
    log.info({ event: 'auth.password-forgot', outcome: issued ? 'queued' : 'no-account', emailRef: this.deps.digests.ref(email) }, 'password reset asked for');
  }

  async resetPassword(input: { token: string; newPassword: string }, log: Logger, meta?: RequestMeta): Promise<void> {
    const { transaction, users, emailTokens, outbox, hasher, policy, sessions, templates, clock, audit } = this.deps;
    const problem = policy.problem(input.newPassword);
    if (problem) throw new AppError('weak_password', `The password ${problem}.`, { errors: [{ path: 'newPassword', message: problem }] });
    // A cheap look first, so that a bad token costs no bcrypt; the transaction checks again under lock.
    const seen = await emailTokens.find(input.token, ['reset-password']);
    if (!seen || !this.usableReset(seen)) throw this.refused(log, 'auth.password-reset', seen?.userId);
    // After the token: nobody without a reset link makes the service query the breach list.
    await policy.assertNotBreached(input.newPassword, 'newPassword');
    const passwordHash = await hasher.hash(input.newPassword);
    const result = await transaction(async (tx) => {
      const row = await emailTokens.in(tx).find(input.token, ['reset-password']);
      if (!row || !this.usableReset(row)) return undefined;
      const now = clock();
      // The first proof of a never-verified address: whoever registered it keeps no way back in.
      if (row.userEmailVerifiedAt === null) await this.deps.unproved.secure(tx, row.userId, now, 'password-it-sets');
      await users.in(tx).resetPassword(row.userId, passwordHash, now);
      await emailTokens.in(tx).markUsed(row.id, now);
      await emailTokens.in(tx).revokeOfUser(row.userId, now, ['reset-password']);
      const revoked = await sessions.in(tx).revokeAllOfUser(row.userId, 'password-reset');
      await outbox.in(tx).enqueue(row.userEmail, templates.passwordChanged(), now);
      await audit.in(tx).record({ type: 'password.reset', userId: row.userId, meta, data: { revokedSessions: revoked } });
      return { row, revoked };
    });
    if (!result) throw this.refused(log, 'auth.password-reset', seen.userId);
    // The account's login delays were for guesses at the old password.
    await this.deps.loginThrottle.forgive(result.row.userEmail);
    log.info({ event: 'auth.password-reset', outcome: 'success', userId: result.row.userId, revokedSessions: result.revoked }, 'password reset');
  }

  /** Verifies an address (a registration's, or the new one of an email change). Verifying twice answers the same. */
  async verifyEmail(token: string, log: Logger, meta?: RequestMeta): Promise<User> {
    const { transaction, users, emailTokens, clock, audit } = this.deps;
    let user: User | null | undefined;
    try {
      user = await transaction(async (tx) => {
        const row = await emailTokens.in(tx).find(token, ['verify-email', 'change-email']);
        if (!row) return undefined;
        const now = clock();
        const current = row.userEmail === row.email;
        if (row.usedAt) return current && row.userEmailVerifiedAt ? users.in(tx).findById(row.userId) : undefined;
        if (!isUsable(row, now) || (row.purpose === 'verify-email' && !current)) return undefined;
        await emailTokens.in(tx).markUsed(row.id, now);
        if (row.purpose === 'change-email') {
          // Tokens sent to the old address must not act on the account any more.
          await emailTokens.in(tx).revokeOfUser(row.userId, now);
          await users.in(tx).changeEmail(row.userId, row.email, now);
          await audit.in(tx).record({ type: 'email.changed', userId: row.userId, meta });
          // The security notice goes to the address the account had until now.
          await this.deps.outbox.in(tx).enqueue(row.userEmail, this.deps.templates.emailChanged(row.email), now);
        } else {
          // The registration's own link: the first proof of the address (its password and sessions stay).
          if (row.userEmailVerifiedAt === null) await this.deps.unproved.secure(tx, row.userId, now, 'registration');
          else await users.in(tx).markEmailVerified(row.userId, now);
          await audit.in(tx).record({ type: 'email.verified', userId: row.userId, meta });
        }
        return users.in(tx).findById(row.userId);
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
    const { users, outbox, confirmation, mailThrottle, templates, clock, transaction } = this.deps;
    const line = { event: 'auth.email-change', userId: auth.user.id };
    const account = await users.findByIdWithHash(auth.user.id);
    // An account without a password (made by a provider) proves nothing here: like a wrong password.
    if (!account || !(await confirmation.confirms(account, input.currentPassword, signal))) {
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
    await transaction(async (tx) => {
      await this.issue(tx, { id: account.id }, 'change-email', (token) => templates.changeEmail(token), input.newEmail);
      await outbox.in(tx).enqueue(account.email, templates.emailChangeNotice(input.newEmail), clock());
    });
    log.info({ ...line, outcome: 'queued', emailRef: this.deps.digests.ref(input.newEmail) }, 'email change asked for: verification mail queued');
  }

  private usableReset(row: TokenRow): boolean {
    // A reset link sent to an address the account no longer has is dead.
    return isUsable(row, this.deps.clock()) && row.userEmail === row.email;
  }

  private refused(log: Logger, event: string, userId?: string): AppError {
    log.info({ event, outcome: 'failure', reason: 'invalid-token', userId }, 'token refused');
    return invalidToken();
  }

  /**
   * Issues a token of `purpose` and queues its mail on `tx`: the same statements and rendering
   * work whether or not the account exists (the forgot-password answer must not tell them apart).
   * Returns whether a token was issued.
   */
  private async issue(
    tx: Transaction,
    user: { id: string } | { email: string },
    purpose: TokenPurpose,
    mail: (token: string) => MailContent,
    email?: string,
  ): Promise<boolean> {
    const { emailTokens, outbox, clock, ttl } = this.deps;
    const now = clock();
    const ttlSeconds = purpose === 'reset-password' ? ttl.passwordReset : ttl.emailVerification;
    const issued = await emailTokens.in(tx).issue({ user, purpose, email, ttlSeconds, now });
    await outbox.in(tx).enqueue(issued?.recipient ?? null, mail(issued?.token ?? UNSENT_TOKEN), now);
    return issued !== undefined;
  }
}

/** Rendered into the mail that is not queued when there is no account, so that both cases do the same work. */
const UNSENT_TOKEN = 'x'.repeat(43);
