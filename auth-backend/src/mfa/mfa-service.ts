/**
 * The second factor (TOTP and recovery codes): enrolment, removal and recovery codes. Knows
 * nothing of HTTP. The step that asks a sign-in for it is mfa-step.ts, passing it
 * mfa-verification.ts. Every code checked behind a bearer token counts on the account's login
 * throttle (429 past it). Mail is queued in the same transaction as the change it announces; no
 * secret, code or mfaToken is written to a log line.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { AppError } from '../errors';
import type { Transactions } from '../db/transaction';
import { hasSecondFactor, type Authenticated } from '../domain/user';
import { totpSecretContext, type Envelope } from '../crypto/key-encryption';
import type { UsersTable } from '../tables/users';
import type { SessionsTable } from '../tables/sessions';
import type { MailOutboxTable } from '../tables/mail-outbox';
import type { AuditLog } from '../audit/audit-log';
import type { RequestMeta } from '../domain/audit';
import type { MfaFactorsTable } from '../tables/mfa-factors';
import type { RecoveryCodesTable } from '../tables/recovery-codes';
import { judged, type LoginThrottle } from '../throttle/login-throttle';
import type { MailTemplates } from '../mail/templates';
import { base32Of, newTotpSecret, otpauthUrl } from './totp';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes';
import { qrCodeSvg } from './qr-code';
import type { SecondFactorCodes } from './second-factor-codes';

export interface MfaServiceDeps {
  transaction: Transactions;
  users: UsersTable;
  sessions: SessionsTable;
  outbox: MailOutboxTable;
  /** The audit log: each event in the transaction of the change it records. */
  audit: AuditLog;
  mfaFactors: MfaFactorsTable;
  recoveryCodes: RecoveryCodesTable;
  codes: SecondFactorCodes;
  /** Seals TOTP secrets (HKDF info `totp-secret-encryption/v1`), bound to the factor's id and user id. */
  secrets: Envelope;
  throttle: LoginThrottle;
  templates: MailTemplates;
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
    const codes = newRecoveryCodes();
    const revoked = await this.checkingCode(auth, async () =>
      transaction(async (tx) => {
        // Of concurrent confirmations (or a replayed code) only one advances the step.
        if (!(await this.deps.codes.acceptTotp(tx, auth.user.id, code, 'pending'))) return undefined;
        const now = clock();
        await mfaFactors.in(tx).confirm(factor.id, now);
        await users.in(tx).setMfaEnabled(auth.user.id, true);
        await recoveryCodes.in(tx).replace(
          auth.user.id,
          codes.map((c) => hashRecoveryCode(auth.user.id, c)),
          now,
        );
        const count = await sessions.in(tx).revokeAllOfUser(auth.user.id, 'second-factor-enabled', auth.sessionId);
        await outbox.in(tx).enqueue(auth.user.email, templates.secondFactorEnabled(), now);
        await audit.in(tx).record({ type: 'mfa.enabled', userId: auth.user.id, meta, data: { method: 'totp', revokedSessions: count } });
        return count;
      }),
    );
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
      const factor = await mfaFactors.in(tx).findOfUser(auth.user.id);
      if (!factor?.confirmedAt) return false;
      await recoveryCodes.in(tx).replace(
        auth.user.id,
        codes.map((c) => hashRecoveryCode(auth.user.id, c)),
        clock(),
      );
      await audit.in(tx).record({ type: 'mfa.recovery_codes_regenerated', userId: auth.user.id, meta, data: { count: codes.length } });
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
    const removed = await this.checkingCode(auth, async () =>
      transaction(async (tx) => {
        if (!(await this.deps.codes.acceptTotp(tx, auth.user.id, code))) return false;
        await mfaFactors.in(tx).remove(factor.id);
        await recoveryCodes.in(tx).removeOfUser(auth.user.id);
        await users.in(tx).setMfaEnabled(auth.user.id, false);
        await outbox.in(tx).enqueue(auth.user.email, templates.secondFactorDisabled(), clock());
        await audit.in(tx).record({ type: 'mfa.disabled', userId: auth.user.id, meta, data: { method: 'totp' } });
        return true;
      }),
    );
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
      const factor = await mfaFactors.in(tx).findOfUser(userId);
      const user = await users.in(tx).findById(userId);
      if (!factor || !user) return false;
      await mfaFactors.in(tx).remove(factor.id);
      await recoveryCodes.in(tx).removeOfUser(userId);
      await users.in(tx).setMfaEnabled(userId, false);
      if (factor.confirmedAt) await outbox.in(tx).enqueue(user.email, templates.secondFactorDisabled(), clock());
      await audit.in(tx).record({ type: 'admin.mfa_reset', userId, actorId, meta, data: { wasActive: factor.confirmedAt !== null } });
      return true;
    });
  }

  /** Whether `code` is a current code of the user's active factor (spending its time step): a reauthentication, counted like a login attempt. */
  async confirmsIdentity(user: { id: string; email: string }, code: string): Promise<boolean> {
    return this.checkingCode({ user }, () => this.deps.transaction((tx) => this.deps.codes.acceptTotp(tx, user.id, code)));
  }

  /**
   * Runs a check of a code behind a bearer token as one attempt on the account's login throttle:
   * a wrong code (the check answers false or undefined) counts as a failure, a right one resets the count.
   */
  private checkingCode<T>(auth: { user: { email: string } }, check: () => Promise<T>): Promise<T> {
    return this.deps.throttle.guard(auth.user.email, async () => {
      const answer = await check();
      return judged(answer === undefined || answer === false ? 'failed' : 'succeeded', answer);
    });
  }
}
