/**
 * The provider's clients as administrators manage them (POST/GET/PATCH/DELETE /admin/clients,
 * npm run clients:create). Knows nothing of HTTP. A client_id is 128 random bits; a confidential
 * client's secret is 256 random bits, returned once and stored as its SHA-256. Each change is an
 * oauth.client_* event in the transaction that makes it; deleting a client revokes every grant
 * and token it holds (and its users' consents, by foreign key).
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '../errors';
import type { RequestMeta } from '../domain/audit';
import type { Transactions } from '../db/transaction';
import type { AuditLog } from '../audit/audit-log';
import { newOpaqueToken } from '../crypto/opaque-token';
import type { ClientChanges, ClientType, OAuthClient, OAuthClientsTable } from '../tables/oauth-clients';
import type { ProviderStateTable } from '../tables/provider-state';
import type { GrantType } from './client-metadata';

export interface ClientServiceDeps {
  transaction: Transactions;
  clients: OAuthClientsTable;
  state: ProviderStateTable;
  audit: AuditLog;
  /** Client `id` was changed or deleted (committed): this replica's client cache drops it before the change is answered. */
  changed: (id: string) => void;
}

export interface NewClient {
  /** A fixed client_id (the admin console's built-in client); 128 random bits otherwise. */
  id?: string;
  name: string;
  type: ClientType;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  grantTypes?: GrantType[];
  resources?: string[];
  firstParty?: boolean;
}

/** Who made the change: an administrator's id, or nobody (an operator's command). */
export interface Actor {
  actorId: string | null;
  meta?: RequestMeta;
}

const DEFAULT_GRANT_TYPES: GrantType[] = ['authorization_code', 'refresh_token'];
const noSuchClient = () => new AppError('not_found', 'No such client.');
const invalid = (path: string, message: string) => new AppError('validation_failed', 'The request is invalid.', { errors: [{ path, message }] });

/** The rules between a client's fields, whole (a new client, or one as a change would leave it). */
function assertCoherent(client: { type: ClientType; redirectUris: string[]; grantTypes: string[] }): void {
  const grants = new Set(client.grantTypes);
  if (client.type === 'public' && grants.has('client_credentials')) throw invalid('grantTypes', 'client_credentials needs a confidential client (a secret)');
  if (grants.has('authorization_code') && client.redirectUris.length === 0) throw invalid('redirectUris', 'authorization_code needs at least one redirect URI');
  if (grants.has('refresh_token') && !grants.has('authorization_code') && !grants.has('urn:ietf:params:oauth:grant-type:device_code'))
    throw invalid('grantTypes', 'refresh_token comes with authorization_code or the device code grant');
}

export class ClientService {
  constructor(private readonly deps: ClientServiceDeps) {}

  async create(input: NewClient, actor: Actor): Promise<{ client: OAuthClient; clientSecret?: string }> {
    const grantTypes = [...new Set(input.grantTypes ?? DEFAULT_GRANT_TYPES)];
    const fields = {
      id: input.id ?? randomBytes(16).toString('base64url'),
      name: input.name,
      type: input.type,
      redirectUris: [...new Set(input.redirectUris)],
      postLogoutRedirectUris: [...new Set(input.postLogoutRedirectUris ?? [])],
      grantTypes,
      resources: [...new Set(input.resources ?? [])],
      firstParty: input.firstParty ?? false,
    };
    assertCoherent(fields);
    const secret = input.type === 'confidential' ? newOpaqueToken() : undefined;
    const { transaction, clients, audit } = this.deps;
    const client = await transaction(async (tx) => {
      const created = await clients.in(tx).create({ ...fields, secretHash: secret?.hash ?? null });
      await audit.in(tx).record({
        type: 'oauth.client_created',
        userId: null,
        actorId: actor.actorId,
        meta: actor.meta,
        data: { clientId: created.id, name: created.name, type: created.type, grantTypes: created.grantTypes, firstParty: created.firstParty },
      });
      return created;
    });
    return { client, ...(secret ? { clientSecret: secret.token } : {}) };
  }

  list(): Promise<OAuthClient[]> {
    return this.deps.clients.list();
  }

  async get(id: string): Promise<OAuthClient> {
    const client = await this.deps.clients.find(id);
    if (!client) throw noSuchClient();
    return client;
  }

  async update(id: string, changes: ClientChanges, actor: Actor): Promise<OAuthClient> {
    const { transaction, clients, audit } = this.deps;
    const updated = await transaction(async (tx) => {
      const before = await clients.in(tx).find(id);
      if (!before) throw noSuchClient();
      const after = { ...before, ...changes };
      assertCoherent(after);
      const updated = (await clients.in(tx).update(id, changes))!;
      const fields = Object.keys(changes).filter((key) => changes[key as keyof ClientChanges] !== undefined);
      await audit.in(tx).record({ type: 'oauth.client_updated', userId: null, actorId: actor.actorId, meta: actor.meta, data: { clientId: id, fields } });
      return updated;
    });
    this.deps.changed(id);
    return updated;
  }

  /** The client and every grant and token it holds. */
  async delete(id: string, actor: Actor): Promise<void> {
    const { transaction, clients, state, audit } = this.deps;
    await transaction(async (tx) => {
      if (!(await clients.in(tx).delete(id))) throw noSuchClient();
      const revoked = await state.in(tx).deleteOfClient(id);
      await audit.in(tx).record({ type: 'oauth.client_deleted', userId: null, actorId: actor.actorId, meta: actor.meta, data: { clientId: id, revoked } });
    });
    this.deps.changed(id);
  }

  /** A new secret for a confidential client; the old one stops working at once (on other replicas, when the change's NOTIFY reaches them). */
  async rotateSecret(id: string, actor: Actor): Promise<string> {
    const secret = newOpaqueToken();
    const { transaction, clients, audit } = this.deps;
    await transaction(async (tx) => {
      if (!(await clients.in(tx).replaceSecret(id, secret.hash))) {
        if (await clients.in(tx).find(id)) throw new AppError('bad_request', 'A public client has no secret.');
        throw noSuchClient();
      }
      await audit.in(tx).record({ type: 'oauth.client_secret_rotated', userId: null, actorId: actor.actorId, meta: actor.meta, data: { clientId: id } });
    });
    this.deps.changed(id);
    return secret.token;
  }
}
