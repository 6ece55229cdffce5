/**
 * The user's side of the provider: the apps they granted (GET /auth/apps) and taking one back
 * (DELETE /auth/apps/{clientId}: the consent and every grant and token of that client for the user,
 * in one transaction with its oauth.consent_revoked event). Knows nothing of HTTP.
 */
import { AppError } from '../errors';
import type { Authenticated } from '../domain/user';
import type { RequestMeta } from '../domain/audit';
import type { Transactions } from '../db/transaction';
import type { AuditLog } from '../audit/audit-log';
import type { Consent, OAuthConsentsTable } from '../tables/oauth-consents';
import type { ProviderStateTable } from '../tables/provider-state';

export interface AppsServiceDeps {
  transaction: Transactions;
  consents: OAuthConsentsTable;
  state: ProviderStateTable;
  audit: AuditLog;
}

export class AppsService {
  constructor(private readonly deps: AppsServiceDeps) {}

  list(auth: Authenticated): Promise<Consent[]> {
    return this.deps.consents.listOfUser(auth.user.id);
  }

  /** 404 when the user granted that client nothing (another user's app, an unknown client: never confirmed to exist). */
  async revoke(auth: Authenticated, clientId: string, meta?: RequestMeta): Promise<void> {
    const { transaction, consents, state, audit } = this.deps;
    const revoked = await transaction(async (tx) => {
      if (!(await consents.in(tx).revoke(auth.user.id, clientId))) return false;
      const tokens = await state.in(tx).deleteOfAccountAndClient(auth.user.id, clientId);
      await audit.in(tx).record({ type: 'oauth.consent_revoked', userId: auth.user.id, meta, data: { clientId, revoked: tokens } });
      return true;
    });
    if (!revoked) throw new AppError('not_found', 'No such app.');
  }
}
