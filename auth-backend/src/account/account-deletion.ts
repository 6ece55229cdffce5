/**
 * Erasure of an account (DELETE /auth/me and DELETE /admin/users/{id}), in one transaction: the
 * user row (its sessions, refresh tokens, email tokens, identities, factors and passkeys go with it by
 * foreign key), every message of the outbox addressed to it, and whatever the audit log holds
 * that names the person; the events keep the user id. A `user.deleted` event records the erasure.
 */
import type { Transactions } from '../db/transaction';
import type { RequestMeta } from '../domain/audit';
import type { UsersTable } from '../tables/users';
import type { MailOutboxTable } from '../tables/mail-outbox';
import type { WebhookDeliveriesTable } from '../tables/webhook-deliveries';
import type { EmailTokensTable } from '../tables/email-tokens';
import type { AuditLog } from '../audit/audit-log';
import type { AuditEventsTable } from '../tables/audit-events';
import type { Authenticated } from '../domain/user';
import type { PasswordConfirmation } from '../auth/password-confirmation';
import type { Logger } from '../logger';
import { AppError } from '../errors';

export interface AccountDeletionDeps {
  transaction: Transactions;
  users: UsersTable;
  outbox: MailOutboxTable;
  emailTokens: EmailTokensTable;
  audit: AuditLog;
  /** Erasure makes the audit log forget the person (the events keep the user id). */
  auditEvents: AuditEventsTable;
  /** And the webhook bodies that named the user (v4). */
  webhookDeliveries?: WebhookDeliveriesTable;
  /** The current password, checked as an attempt on the account's login throttle. */
  confirmation: PasswordConfirmation;
  /** Whether `code` is a current second-factor code of the user, counted like the password (mfa/mfa-service.ts, confirmsIdentity). */
  confirmsSecondFactor: (user: { id: string; email: string }, code: string) => Promise<boolean>;
}

export class AccountDeletion {
  constructor(private readonly deps: AccountDeletionDeps) {}

  /**
   * DELETE /auth/me: the caller proves it is them again with the current password. An account
   * without a password (v3: signed in through a provider) would prove it with a second-factor
   * code; without one there is nothing to prove it with (403 reauthentication_required).
   */
  async eraseSelf(auth: Authenticated, proof: { currentPassword?: string; code?: string }, log: Logger, meta?: RequestMeta): Promise<void> {
    const account = await this.deps.users.findByIdWithHash(auth.user.id);
    if (!account) throw new AppError('unauthenticated', 'The access token is no longer valid.');
    const refused = (reason: string) => log.info({ event: 'account.delete', outcome: 'failure', reason, userId: account.id }, 'account deletion refused');
    if (account.passwordHash) {
      if (proof.currentPassword === undefined)
        throw new AppError('validation_failed', 'The request body is invalid.', { errors: [{ path: 'currentPassword', message: 'is required' }] });
      if (!(await this.deps.confirmation.confirms(account, proof.currentPassword))) {
        refused('wrong-password');
        throw new AppError('invalid_credentials', 'The current password is incorrect.');
      }
    } else if (account.mfaEnabled) {
      if (proof.code === undefined)
        throw new AppError('validation_failed', 'The request body is invalid.', { errors: [{ path: 'code', message: 'is required' }] });
      if (!(await this.deps.confirmsSecondFactor(account, proof.code))) {
        refused('invalid-code');
        throw new AppError('invalid_code', 'The code is not valid (wrong, expired, or already used).', { status: 401 });
      }
    } else {
      throw new AppError('reauthentication_required', 'This account has no password or second factor to confirm the deletion with.');
    }
    await this.erase(account.id, { meta });
    log.info({ event: 'account.delete', outcome: 'success', userId: account.id }, 'account erased');
  }

  /** Erases `userId`; false when there is no such account. `actorId`: the administrator, if not the user. */
  async erase(userId: string, by: { actorId?: string; meta?: RequestMeta } = {}): Promise<boolean> {
    const { transaction, users, outbox, emailTokens, audit, auditEvents } = this.deps;
    return transaction(async (tx) => {
      // Read before the row goes (its tokens go with it): a pending email change's new address.
      const sentTo = await emailTokens.in(tx).addressesOfUser(userId);
      const email = await users.in(tx).erase(userId);
      if (email === null) return false;
      await outbox.in(tx).deleteTo([email, ...sentTo]);
      await auditEvents.in(tx).forget(userId, email);
      await this.deps.webhookDeliveries?.in(tx).forgetUser(userId);
      await audit.in(tx).record({
        type: 'user.deleted',
        userId,
        actorId: by.actorId ?? null,
        meta: by.meta && { ...by.meta, ip: null, userAgent: null },
        data: { by: by.actorId ? 'admin' : 'self' },
      });
      return true;
    });
  }
}
