/**
 * The second factor (TOTP and recovery codes): enrolment, removal, recovery codes, and the
 * verification that completes a sign-in waiting for it (the mfaToken that AuthService.completeSignIn
 * hands out). Knows nothing of HTTP. Mail is queued in the same transaction as the change it
 * announces; no secret, code or mfaToken is written to a log line.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { AppError } from '../errors';
import type { Queryable, Transactions } from '../db/transaction';
import type { Authenticated, AuthMethod } from '../domain/user';
import { totpSecretContext, type Envelope } from '../crypto/key-encryption';
import type { UsersTable } from '../tables/users';
import type { SessionsTable } from '../tables/sessions';
import type { MailOutboxTable } from '../tables/mail-outbox';
import type { AuditEventsTable } from '../tables/audit-events';
import type { RequestMeta } from '../domain/audit';
import type { FactorRow, MfaFactorsTable } from '../tables/mfa-factors';
import type { RecoveryCodesTable } from '../tables/recovery-codes';
import { MAX_WRONG_CODES, type MfaChallengesTable } from '../tables/mfa-challenges';
import type { LoginThrottle } from '../throttle/login-throttle';
import type { MailTemplates } from '../mail/templates';
import { hasSecondFactor, type AuthService, type TokenGrant } from '../auth/auth-service';
import { base32Of, matchingStep, newTotpSecret, otpauthUrl } from './totp';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes';
import { qrCodeSvg } from './qr-code';

export interface MfaServiceDeps {
  transaction: Transactions;
  users: UsersTable;
  sessions: SessionsTable;
  outbox: MailOutboxTable;
  /** The audit log: each event in the transaction of the change it records. */
  audit: AuditEventsTable;
  mfaFactors: MfaFactorsTable;
  recoveryCodes: RecoveryCodesTable;
  mfaChallenges: MfaChallengesTable;
  /** Seals TOTP secrets (HKDF info `totp-secret-encryption/v1`), bound to the factor's id and user id. */
  secrets: Envelope;
  throttle: LoginThrottle;
  templates: MailTemplates;
  /** The one end of every sign-in. */
  auth: AuthService;
  clock: Clock;
  /** The `issuer` that authenticator apps show (MAIL_PRODUCT_NAME). */
  issuer: string;
}

/** The additional data that binds a sealed secret to its row. */
const invalidCode = (detail = 'The code is not valid (wrong, expired, or already used).') => new AppError('invalid_code', detail);

/** "Bearer, second factor" endpoints: a token whose sign-in did not pass the second factor gets 403 mfa_required. */
export async function requireSecondFactor({ auth }: { auth?: Authenticated }): Promise<void> {
  if (!auth || !hasSecondFactor(auth.amr)) {
    throw new AppError('mfa_required', 'Sign in again with your second factor (a code from your authenticator app or a recovery code) to do this.');
  }
}

export class MfaService {
  constructor(private readonly deps: MfaServiceDeps) {}

  /** A new pending factor (replacing a pending one): its secret, shown this once, and the otpauth URL. */
  async setupTotp(auth: Authenticated, log: Logger): Promise<{ secret: string; otpauthUrl: string; qrCodeSvg: string }> {
    const { mfaFactors, secrets, clock, issuer } = this.deps;
    const secret = newTotpSecret();
    const factor = { id: randomUUID(), userId: auth.user.id };
    const stored = await mfaFactors.putPending({ ...factor, sealedSecret: secrets.seal(secret, totpSecretContext(factor)), now: clock() });
    if (!stored) {
      log.info({ event: 'mfa.setup', outcome: 'failure', reason: 'already-enabled', userId: auth.user.id }, 'second factor setup refused');
      throw new AppError('mfa_already_enabled', 'A second factor is already enabled; remove it first to set up another.');
    }
    log.info({ event: 'mfa.setup', outcome: 'pending', userId: auth.user.id }, 'second factor set up, waiting for confirmation');
    const url = otpauthUrl(secret, auth.user.email, issuer);
    return { secret: base32Of(secret), otpauthUrl: url, qrCodeSvg: qrCodeSvg(url) };
  }

  /**
   * A code from the pending factor activates it: recovery codes are issued, every other session
   * is revoked and a notice mail queued, in one transaction.
   */
  async confirmTotp(auth: Authenticated, code: string, log: Logger, meta?: RequestMeta): Promise<{ recoveryCodes: string[] }> {
    const { transaction, mfaFactors, users, recoveryCodes, sessions, outbox, audit, templates, clock } = this.deps;
    const line = { event: 'mfa.confirm', userId: auth.user.id };
    const factor = await mfaFactors.findOfUser(auth.user.id);
    if (!factor) throw new AppError('mfa_not_pending', 'There is no second factor waiting for confirmation: set one up first.');
    if (factor.confirmedAt) throw new AppError('mfa_already_enabled', 'The second factor is already enabled.');
    const now = clock();
    const step = matchingStep(this.secretOf(factor), code, now);
    const codes = newRecoveryCodes();
    const revoked = await transaction(async (tx) => {
      // Of concurrent confirmations (or a replayed code) only one advances the step.
      if (step === undefined || !(await mfaFactors.acceptStep(tx, factor.id, step, 'pending'))) return undefined;
      await mfaFactors.confirm(tx, factor.id, now);
      await users.setMfaEnabled(tx, auth.user.id, true);
      await recoveryCodes.replace(
        tx,
        auth.user.id,
        codes.map((c) => hashRecoveryCode(auth.user.id, c)),
        now,
      );
      const count = await sessions.revokeAllOfUser(auth.user.id, 'second-factor-enabled', auth.sessionId, tx);
      await outbox.enqueue(tx, auth.user.email, templates.secondFactorEnabled(), now);
      await audit.record(tx, { type: 'mfa.enabled', userId: auth.user.id, meta, data: { method: 'totp', revokedSessions: count } });
      return count;
    });
    if (revoked === undefined) {
      log.info({ ...line, outcome: 'failure', reason: 'invalid-code' }, 'second factor confirmation refused');
      throw invalidCode();
    }
    log.info({ ...line, outcome: 'success', revokedSessions: revoked }, 'second factor enabled');
    return { recoveryCodes: codes };
  }

  /** New recovery codes; the old ones stop working. */
  async regenerateRecoveryCodes(auth: Authenticated, log: Logger, meta?: RequestMeta): Promise<{ recoveryCodes: string[] }> {
    const { transaction, mfaFactors, recoveryCodes, audit, clock } = this.deps;
    const codes = newRecoveryCodes();
    const done = await transaction(async (tx) => {
      const factor = await mfaFactors.findOfUser(auth.user.id, tx);
      if (!factor?.confirmedAt) return false;
      await recoveryCodes.replace(
        tx,
        auth.user.id,
        codes.map((c) => hashRecoveryCode(auth.user.id, c)),
        clock(),
      );
      await audit.record(tx, { type: 'mfa.recovery_codes_regenerated', userId: auth.user.id, meta, data: { count: codes.length } });
      return true;
    });
    if (!done) throw new AppError('mfa_not_enabled', 'There is no second factor enabled.');
    log.info({ event: 'mfa.recovery-codes', outcome: 'success', userId: auth.user.id }, 'recovery codes regenerated');
    return { recoveryCodes: codes };
  }

  /** Removes the factor and its recovery codes (given a current code), and queues a notice mail. */
  async disableTotp(auth: Authenticated, code: string, log: Logger, meta?: RequestMeta): Promise<void> {
    const { transaction, mfaFactors, users, recoveryCodes, outbox, audit, templates, clock } = this.deps;
    const line = { event: 'mfa.disable', userId: auth.user.id };
    const factor = await mfaFactors.findOfUser(auth.user.id);
    if (!factor?.confirmedAt) throw new AppError('mfa_not_enabled', 'There is no second factor enabled.');
    const now = clock();
    const step = matchingStep(this.secretOf(factor), code, now);
    const removed = await transaction(async (tx) => {
      if (step === undefined || !(await mfaFactors.acceptStep(tx, factor.id, step, 'active'))) return false;
      await mfaFactors.remove(tx, factor.id);
      await recoveryCodes.removeOfUser(tx, auth.user.id);
      await users.setMfaEnabled(tx, auth.user.id, false);
      await outbox.enqueue(tx, auth.user.email, templates.secondFactorDisabled(), now);
      await audit.record(tx, { type: 'mfa.disabled', userId: auth.user.id, meta, data: { method: 'totp' } });
      return true;
    });
    if (!removed) {
      log.info({ ...line, outcome: 'failure', reason: 'invalid-code' }, 'second factor removal refused');
      throw invalidCode();
    }
    log.info({ ...line, outcome: 'success' }, 'second factor removed');
  }

  /**
   * Support's removal of a user's second factor (DELETE /admin/users/{id}/mfa): the factor and its
   * recovery codes go, a notice mail is queued, and the event names the administrator, in one
   * transaction. False when the user has no factor (pending or active).
   */
  async resetByAdmin(userId: string, actorId: string, meta?: RequestMeta): Promise<boolean> {
    const { transaction, mfaFactors, users, recoveryCodes, outbox, audit, templates, clock } = this.deps;
    return transaction(async (tx) => {
      const factor = await mfaFactors.findOfUser(userId, tx);
      const user = await users.findById(userId, tx);
      if (!factor || !user) return false;
      await mfaFactors.remove(tx, factor.id);
      await recoveryCodes.removeOfUser(tx, userId);
      await users.setMfaEnabled(tx, userId, false);
      if (factor.confirmedAt) await outbox.enqueue(tx, user.email, templates.secondFactorDisabled(), clock());
      await audit.record(tx, { type: 'admin.mfa_reset', userId, actorId, meta, data: { wasActive: factor.confirmedAt !== null } });
      return true;
    });
  }

  /** Whether `code` is a current code of the user's active factor (spending its time step): a reauthentication. */
  async confirmsIdentity(userId: string, code: string): Promise<boolean> {
    return this.deps.transaction((tx) => this.acceptTotp(tx, userId, code));
  }

  /**
   * Completes a sign-in waiting for its second factor. Each attempt is one on the account's login
   * counter (a wrong code is a failure there too, so fresh mfaTokens buy no fresh guesses). The
   * answers to one mfaToken are checked one at a time under its row lock: it dies at its
   * MAX_WRONG_CODES-th wrong code, and is spent in the transaction that accepts the code (so a
   * code is not used up by an mfaToken that someone else spent meanwhile).
   */
  async verify(
    input: { mfaToken: string; code?: string; recoveryCode?: string; userAgent?: string | null; meta?: RequestMeta },
    log: Logger,
  ): Promise<TokenGrant> {
    const { mfaChallenges, throttle, transaction, recoveryCodes, users, audit } = this.deps;
    const challenge = await mfaChallenges.findUsable(input.mfaToken);
    if (!challenge) {
      log.info({ event: 'mfa.verify', outcome: 'failure', reason: 'invalid-mfa-token' }, 'second factor refused');
      throw new AppError('invalid_mfa_token', 'The mfaToken is invalid, expired or already used; sign in again.');
    }
    const { userId, userEmail } = challenge;
    const method: AuthMethod = input.code !== undefined ? 'otp' : 'mfa';
    const line = { event: 'mfa.verify', userId, method: method === 'otp' ? 'totp' : 'recovery-code' };
    let attempt: number;
    try {
      attempt = await throttle.beginAttempt(userEmail);
    } catch (error) {
      log.warn({ ...line, outcome: 'throttled' }, 'second factor throttled');
      throw error;
    }
    let outcome: 'passed' | 'spent' | { wrongCodes: number };
    try {
      outcome = await transaction(async (tx) => {
        if (!(await mfaChallenges.lockUsable(tx, challenge.id))) return 'spent';
        const accepted =
          input.code !== undefined ? await this.acceptTotp(tx, userId, input.code) : await this.spendRecoveryCode(tx, userId, input.recoveryCode ?? '');
        if (!accepted) return { wrongCodes: await mfaChallenges.countWrongCode(tx, challenge.id) };
        await mfaChallenges.spend(tx, challenge.id);
        return 'passed';
      });
    } catch (error) {
      await throttle.attemptAbandoned(userEmail, attempt).catch(() => undefined);
      throw error;
    }
    if (outcome === 'spent') {
      // Spent, expired or dead while this request waited: not a guess.
      await throttle.attemptAbandoned(userEmail, attempt);
      log.info({ ...line, outcome: 'failure', reason: 'invalid-mfa-token' }, 'second factor refused');
      throw new AppError('invalid_mfa_token', 'The mfaToken is invalid, expired or already used; sign in again.');
    }
    if (outcome !== 'passed') {
      await throttle.attemptFailed(userEmail, attempt);
      const { wrongCodes } = outcome;
      log.info({ ...line, outcome: 'failure', reason: 'invalid-code', wrongCodes, mfaTokenDead: wrongCodes >= MAX_WRONG_CODES }, 'second factor refused');
      // Nothing changed but the counters: the event stands alone, like a failed login's.
      await audit.record(undefined, { type: 'mfa.failed', userId, meta: input.meta, data: { method: line.method, wrongCodes } });
      throw new AppError('invalid_code', 'The code is not valid (wrong, expired, or already used).', { status: 401 });
    }
    await throttle.recordSuccess(userEmail);
    const user = await users.findById(userId);
    if (!user) throw new AppError('invalid_mfa_token', 'The mfaToken is invalid, expired or already used; sign in again.');
    // audit: mfa.verified (recovery code: mfa.recovery_code_used)
    log.info(
      { ...line, outcome: 'success', remainingRecoveryCodes: method === 'mfa' ? await recoveryCodes.countUnused(userId) : undefined },
      'second factor passed',
    );
    const signedIn = await this.deps.auth.completeSignIn(user, [...challenge.amr, method], input.userAgent, input.meta);
    if ('mfaRequired' in signedIn) throw new Error('a sign-in that passed the second factor asked for it again');
    return signedIn;
  }

  /** Accepts a code of the user's active factor, each time step at most once. */
  private async acceptTotp(tx: Queryable, userId: string, code: string): Promise<boolean> {
    const factor = await this.deps.mfaFactors.findOfUser(userId, tx);
    if (!factor?.confirmedAt) return false;
    const step = matchingStep(this.secretOf(factor), code, this.deps.clock());
    return step !== undefined && this.deps.mfaFactors.acceptStep(tx, factor.id, step, 'active');
  }

  private spendRecoveryCode(tx: Queryable, userId: string, code: string): Promise<boolean> {
    return this.deps.recoveryCodes.spend(tx, userId, hashRecoveryCode(userId, code), this.deps.clock());
  }

  private secretOf(factor: FactorRow): Buffer {
    return this.deps.secrets.open(factor.sealedSecret, totpSecretContext(factor));
  }
}
