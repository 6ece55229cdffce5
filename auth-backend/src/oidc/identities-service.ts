/**
 * A user's provider identities: listing them, and unlinking one unless it is the account's last
 * way to sign in (account/sign-in-methods.ts: no password, no other identity, no passkey). The
 * user row is locked while the rule is checked, so two concurrent removals cannot take the last two
 * ways in together.
 */
import type { Logger } from '../logger';
import { AppError } from '../errors';
import type { Authenticated } from '../domain/user';
import type { Transactions } from '../db/transaction';
import type { IdentitiesTable, Identity } from '../tables/identities';
import { mayRemoveOne, type SignInMethods } from '../account/sign-in-methods';

export class IdentitiesService {
  constructor(private readonly deps: { transaction: Transactions; identities: IdentitiesTable; methods: SignInMethods }) {}

  list(auth: Authenticated): Promise<Identity[]> {
    return this.deps.identities.listOfUser(auth.user.id);
  }

  async unlink(auth: Authenticated, id: string, log: Logger): Promise<void> {
    const { transaction, identities, methods } = this.deps;
    const line = { event: 'oidc.unlink', userId: auth.user.id };
    const outcome = await transaction(async (tx) => {
      const ways = await methods.lock(tx, auth.user.id);
      const identity = (await identities.in(tx).listOfUser(auth.user.id)).find((candidate) => candidate.id === id);
      if (!ways || !identity) return 'not-found' as const;
      if (!mayRemoveOne(ways)) return 'last-method' as const;
      await identities.in(tx).unlink(auth.user.id, identity.id);
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
        'This identity is the only way to sign in to the account: set a password (password reset), link another provider or add a passkey first.',
      );
    }
    log.info({ ...line, outcome: 'success', provider: outcome.provider }, 'identity unlinked');
  }
}
