/**
 * A user's provider identities: listing them, and unlinking one unless it is the account's last
 * way to sign in (no password and no other identity). The user row is locked while the rule is
 * checked, so two concurrent unlinks cannot remove the last two identities together.
 */
import type { Logger } from '../logger';
import { AppError } from '../errors';
import type { Authenticated } from '../domain/user';
import type { Transactions } from '../db/transaction';
import type { UsersTable } from '../tables/users';
import type { IdentitiesTable, Identity } from '../tables/identities';

export class IdentitiesService {
  constructor(private readonly deps: { transaction: Transactions; users: UsersTable; identities: IdentitiesTable }) {}

  list(auth: Authenticated): Promise<Identity[]> {
    return this.deps.identities.listOfUser(auth.user.id);
  }

  async unlink(auth: Authenticated, id: string, log: Logger): Promise<void> {
    const { transaction, users, identities } = this.deps;
    const line = { event: 'oidc.unlink', userId: auth.user.id };
    const outcome = await transaction(async (tx) => {
      const user = await users.in(tx).lockById(auth.user.id);
      const linked = await identities.in(tx).listOfUser(auth.user.id);
      const identity = linked.find((candidate) => candidate.id === id);
      if (!user || !identity) return 'not-found' as const;
      if (user.passwordHash === null && linked.length === 1) return 'last-method' as const;
      await identities.in(tx).unlink(user.id, identity.id);
      return identity;
    });
    if (outcome === 'not-found') {
      log.info({ ...line, outcome: 'failure', reason: 'not-found' }, 'unlink refused');
      throw new AppError('not_found', 'No such identity.');
    }
    if (outcome === 'last-method') {
      log.info({ ...line, outcome: 'failure', reason: 'last-sign-in-method' }, 'unlink refused');
      throw new AppError(
        'last_sign_in_method',
        'This identity is the only way to sign in to the account: set a password (password reset) or link another provider first.',
      );
    }
    log.info({ ...line, outcome: 'success', provider: outcome.provider }, 'identity unlinked');
  }
}
