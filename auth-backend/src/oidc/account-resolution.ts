/**
 * Which account a provider's identity signs in to (docs/api.md, "Sign in with an OpenID
 * Connect provider"): a known identity signs its user in; an unknown one whose provider asserts a
 * verified address that an account has is linked to that account (an account whose own address
 * was never proved loses every other way in first, account/unproved-account.ts: whoever
 * registered the address without owning it keeps no way back); otherwise a new account without a password. An
 * unverified provider address never links. Everything happens in one transaction: a failure
 * creates and links nothing.
 */
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Transactions } from '../db/transaction';
import { isUniqueViolation } from '../db/database-errors';
import type { UsersTable } from '../tables/users';
import type { UnprovedAccount } from '../account/unproved-account';
import type { AuditLog } from '../audit/audit-log';
import type { RequestMeta } from '../domain/audit';
import type { IdentitiesTable } from '../tables/identities';

/** What the provider asserted about the person who signed in. */
export interface AssertedIdentity {
  provider: string;
  subject: string;
  /** Normalised (trimmed, lower-cased); undefined when the provider gave none. */
  email: string | undefined;
  emailVerified: boolean;
  name: string | null;
}

export type Resolution =
  | { kind: 'signed-in'; userId: string; how: 'known' | 'linked' | 'taken-over' | 'created' }
  | { kind: 'refused'; error: 'email_missing' | 'email_not_verified' };

export interface AccountResolutionDeps {
  transaction: Transactions;
  users: UsersTable;
  identities: IdentitiesTable;
  /** A verified address takes an unproved account over: every other way in goes first. */
  unproved: UnprovedAccount;
  audit: AuditLog;
  clock: Clock;
}

export class AccountResolution {
  constructor(private readonly deps: AccountResolutionDeps) {}

  async resolve(asserted: AssertedIdentity, log: Logger, meta?: RequestMeta): Promise<Resolution> {
    // A concurrent sign-in may link the identity or take the address between our read and write:
    // the unique constraints refuse the second writer, which then finds what the first one made.
    try {
      return await this.attempt(asserted, log, meta);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return this.attempt(asserted, log, meta);
    }
  }

  private async attempt(asserted: AssertedIdentity, log: Logger, meta?: RequestMeta): Promise<Resolution> {
    const { transaction, users, identities, audit, clock, unproved } = this.deps;
    const known = await identities.find(asserted.provider, asserted.subject);
    if (known) {
      // The identity keeps the provider's current address; the account's address never follows it
      // (a provider's claim does not change where our mail goes: that takes the user's own change).
      if (asserted.email !== undefined && asserted.email !== known.email) await identities.recordProviderEmail(known.id, asserted.email);
      return { kind: 'signed-in', userId: known.userId, how: 'known' };
    }
    const { email } = asserted;
    if (email === undefined) return { kind: 'refused', error: 'email_missing' };
    const identity = { provider: asserted.provider, subject: asserted.subject, email };
    return transaction(async (tx): Promise<Resolution> => {
      const now = clock();
      const holder = await users.in(tx).findByEmail(email);
      if (!holder) {
        const user = await users.in(tx).createWithoutPassword({ email, name: asserted.name, emailVerifiedAt: asserted.emailVerified ? now : null });
        await identities.in(tx).link({ ...identity, userId: user.id });
        await audit.in(tx).record({ type: 'user.registered', userId: user.id, meta, data: { provider: asserted.provider } });
        await audit.in(tx).record({ type: 'oidc.linked', userId: user.id, meta, data: { provider: asserted.provider, how: 'created' } });
        return { kind: 'signed-in', userId: user.id, how: 'created' };
      }
      if (!asserted.emailVerified) return { kind: 'refused', error: 'email_not_verified' };
      const account = await users.in(tx).lockById(holder.id);
      if (!account) throw new Error('the account holding the address was deleted during the sign-in');
      let how: 'linked' | 'taken-over' = 'linked';
      if (account.emailVerifiedAt === null) {
        const removed = await unproved.secure(tx, account.id, now, 'nothing');
        log.warn(
          { event: 'oidc.takeover', provider: asserted.provider, userId: account.id, removed },
          'unproved account taken over by a verified provider address',
        );
        how = 'taken-over';
      }
      await identities.in(tx).link({ ...identity, userId: account.id });
      await audit.in(tx).record({ type: 'oidc.linked', userId: account.id, meta, data: { provider: asserted.provider, how } });
      return { kind: 'signed-in', userId: account.id, how };
    });
  }
}
