/**
 * oidc-provider's storage adapter, on PostgreSQL (tables/provider-state.ts): every model's state
 * in one table keyed by the model name and the SHA-256 of the library's id, so any replica finishes
 * a flow another started and a restart loses no grant.
 *
 * Nothing usable is stored in the clear: the key is a hash (an opaque token's id IS the token, a
 * session's id is its cookie), the user code of a device flow is found by its hash, and the
 * payload is sealed with AES-256-GCM under a key derived from KEY_ENCRYPTION_KEY for this purpose,
 * bound to its row (crypto/key-encryption.ts). Clients are not stored here: the Client model reads
 * oauth_client, registered by administrators, through the replica's client cache.
 */
import { createHash } from 'node:crypto';
import type { Envelope } from '../crypto/key-encryption';
import type { ProviderStateTable, FoundState } from '../tables/provider-state';
import type { OAuthClientsTable } from '../tables/oauth-clients';
import type { ClientCache } from './client-cache';
import type { Clock } from '../clock';
import { libraryJson, type OidcProvider } from './provider-library';
import { clientMetadata } from './client-metadata';

type Payload = OidcProvider.AdapterPayload;

export interface ProviderAdapterDeps {
  state: ProviderStateTable;
  clients: OAuthClientsTable;
  /** The clients' metadata as last read, per replica (client-cache.ts). */
  clientCache: ClientCache<Payload>;
  /** Seals payloads (providerStateEnvelope). */
  envelope: Envelope;
  clock: Clock;
}

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('base64url');
/** The user code as typed: oidc-provider normalises it before it looks it up, so the hash is of that form. */
const userCodeHash = (userCode: string) => sha256(`user-code:${userCode}`);

export class ProviderAdapter implements OidcProvider.Adapter {
  constructor(
    private readonly model: string,
    private readonly deps: ProviderAdapterDeps,
  ) {}

  async upsert(id: string, payload: Payload, expiresIn: number): Promise<void> {
    const key = sha256(id);
    const text = Buffer.from(JSON.stringify(payload), 'utf8');
    const sessionUid = typeof payload.sessionUid === 'string' ? payload.sessionUid : null;
    // A signed-in browser session, and every token issued through one, counts only while the
    // service session it rides on is live (tables/provider-state.ts).
    const boundTo = sessionUid ?? (this.model === 'Session' && payload.accountId ? (payload.uid ?? null) : null);
    await this.deps.state.upsert({
      model: this.model,
      key,
      payload: this.deps.envelope.seal(text, [this.model, key]),
      grantId: this.model === 'Grant' ? null : (payload.grantId ?? null),
      uid: payload.uid ?? null,
      userCodeHash: payload.userCode ? userCodeHash(payload.userCode) : null,
      accountId: payload.accountId ?? null,
      clientId: payload.clientId ?? null,
      boundTo,
      expiresAt: typeof expiresIn === 'number' ? new Date(this.deps.clock().getTime() + expiresIn * 1000) : null,
    });
    text.fill(0);
  }

  async find(id: string): Promise<Payload | undefined> {
    if (this.model === 'Client') return this.findClient(id);
    return this.open(await this.deps.state.find(this.model, sha256(id)));
  }

  async findByUserCode(userCode: string): Promise<Payload | undefined> {
    return this.open(await this.deps.state.findByUserCodeHash(this.model, userCodeHash(userCode)));
  }

  async findByUid(uid: string): Promise<Payload | undefined> {
    return this.open(await this.deps.state.findByUid(this.model, uid));
  }

  async consume(id: string): Promise<void> {
    await this.deps.state.consume(this.model, sha256(id));
  }

  async destroy(id: string): Promise<void> {
    await this.deps.state.destroy(this.model, sha256(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.deps.state.revokeByGrantId(this.model, grantId);
  }

  private open(found: FoundState | undefined): Payload | undefined {
    if (!found) return undefined;
    const plaintext = this.deps.envelope.open(found.payload, [this.model, found.key]);
    // Parsed in the library's realm: it checks that payloads are plain objects of its own.
    const payload = libraryJson().parse(plaintext.toString('utf8')) as Payload;
    plaintext.fill(0);
    if (found.consumedAt) payload.consumed = Math.floor(found.consumedAt.getTime() / 1000);
    return payload;
  }

  private findClient(id: string): Promise<Payload | undefined> {
    return this.deps.clientCache.find(id, async () => {
      const client = await this.deps.clients.find(id);
      // Shared by every request that finds it in the cache: frozen, so nothing can change it for the others.
      return client ? deepFreeze(clientMetadata(client)) : undefined;
    });
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

/** What oidc-provider's `adapter` option takes: a factory of one adapter per model name. */
export const providerAdapterFactory =
  (deps: ProviderAdapterDeps): OidcProvider.AdapterFactory =>
  (model) =>
    new ProviderAdapter(model, deps);
