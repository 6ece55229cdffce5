/**
 * What a client may have from a user without asking (oidc-provider's loadExistingGrant), and what
 * the consent page records:
 * - a first-party client (`firstParty`) is never asked: it gets what it requests;
 * - another client gets what the user consented to before (remembered per client and scopes, in
 *   oauth_consent); what it asks beyond that brings the consent page (the library's consent prompt);
 * - offline_access (a refresh token) is honoured, as OpenID Connect Core section 11 says, only when
 *   the authorization request also has prompt=consent (the library's rule), or for a first-party
 *   client (keepOfflineAccessForFirstParty).
 * Each grant the user gives is an `oauth.consent_granted` event, in the transaction that remembers it.
 */
import type { Clock } from '../clock';
import type { RequestMeta } from '../domain/audit';
import type { Transactions } from '../db/transaction';
import type { AuditLog } from '../audit/audit-log';
import type { OAuthConsentsTable } from '../tables/oauth-consents';
import type { OidcProvider, ProviderContext } from './provider-library';

export interface ProviderGrantsDeps {
  transaction: Transactions;
  consents: OAuthConsentsTable;
  audit: AuditLog;
  clock: Clock;
}

type Grant = InstanceType<OidcProvider.default['Grant']>;

export const isFirstParty = (client: { [key: string]: unknown } | undefined) => client?.['first_party'] === true;

export class ProviderGrants {
  constructor(private readonly deps: ProviderGrantsDeps) {}

  /** oidc-provider's loadExistingGrant. */
  loadExistingGrant = async (ctx: ProviderContext): Promise<Grant | undefined> => {
    const { oidc } = ctx;
    const client = oidc.client!;
    const accountId = oidc.account!.accountId;
    const firstParty = isFirstParty(client as unknown as Record<string, unknown>);
    const grantId = oidc.session?.grantIdFor(client.clientId);
    let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
    if (grant && grant.accountId !== accountId) grant = undefined;
    const requested = [...oidc.requestParamOIDCScopes];
    const resources = Object.keys(oidc.resourceServers ?? {});
    if (firstParty) {
      grant ??= new oidc.provider.Grant({ accountId, clientId: client.clientId });
      grant.addOIDCScope(requested);
      for (const resource of resources) grant.addResourceScope(resource, requested);
      await grant.save();
      await this.remember(accountId, client.clientId, requested, 'first-party');
      return grant;
    }
    const remembered = await this.deps.consents.scopesOf(accountId, client.clientId);
    if (remembered) {
      grant ??= new oidc.provider.Grant({ accountId, clientId: client.clientId });
      grant.addOIDCScope(remembered);
      for (const resource of resources) grant.addResourceScope(resource, remembered);
      await grant.save();
    }
    return grant;
  };

  /** The user allowed the consent page: the grant gets what was asked, and the consent is remembered. */
  async grantConsented(grant: Grant, scopes: string[], resources: string[], meta?: RequestMeta): Promise<void> {
    grant.addOIDCScope(scopes);
    for (const resource of resources) grant.addResourceScope(resource, scopes);
    await grant.save();
    await this.remember(grant.accountId!, grant.clientId!, scopes, 'consent', meta);
  }

  private async remember(userId: string, clientId: string, scopes: string[], how: 'consent' | 'first-party', meta?: RequestMeta): Promise<void> {
    const { transaction, consents, audit, clock } = this.deps;
    await transaction(async (tx) => {
      const added = await consents.in(tx).grant(userId, clientId, scopes, clock());
      if (added.length > 0) await audit.in(tx).record({ type: 'oauth.consent_granted', userId, meta, data: { clientId, scopes: added, how } });
    });
  }
}

/**
 * OpenID Connect Core section 11: the library ignores offline_access unless the authorization
 * request also has prompt=consent; a first-party client keeps it without (it is never asked for
 * consent). Run by the library on every authorization request after it has read the scopes
 * (an `extraParams` validator, which the library runs whether or not its parameter is present).
 */
export async function keepOfflineAccessForFirstParty(ctx: ProviderContext): Promise<void> {
  const { oidc } = ctx;
  const params = oidc.params as { scope?: string } | undefined;
  if (oidc.route !== 'authorization' || !params || !isFirstParty(oidc.client as unknown as Record<string, unknown>)) return;
  if (!oidc.client!.grantTypeAllowed('refresh_token')) return;
  const raw = ctx.method === 'POST' ? (oidc.body as { scope?: unknown } | undefined)?.scope : ctx.query.scope;
  if (typeof raw !== 'string' || !raw.split(' ').includes('offline_access')) return;
  const scopes = new Set((params.scope ?? '').split(' ').filter(Boolean));
  scopes.add('offline_access');
  params.scope = [...scopes].join(' ');
}
