/**
 * Table oauth_client: the applications an administrator registered with the service's OpenID
 * Provider (POST /admin/clients, npm run clients:create). The client secret is stored only as its
 * SHA-256 (it is 256 random bits, shown once), like every other opaque secret of the service.
 *
 * Every statement that changes a client NOTIFYs OAUTH_CLIENT_CHANGED_CHANNEL with its id: PostgreSQL
 * delivers it at commit to every replica, whose client cache (provider/client-cache.ts) drops it.
 */
import { Table } from './table';

/** NOTIFY channel of a client created, changed or deleted (payload: its client_id). */
export const OAUTH_CLIENT_CHANGED_CHANNEL = 'oauth_client_changed';
/** The rows of CTE `changed`, each one NOTIFYing its id. */
const CHANGED_ROWS_NOTIFIED = `SELECT changed.* FROM changed CROSS JOIN LATERAL (SELECT pg_notify('${OAUTH_CLIENT_CHANGED_CHANNEL}', changed.id)) AS notified`;

export type ClientType = 'confidential' | 'public';

export interface OAuthClient {
  /** The OAuth client_id. */
  id: string;
  name: string;
  type: ClientType;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: string[];
  resources: string[];
  firstParty: boolean;
  /** SHA-256 (base64url) of the secret; null for public clients. */
  secretHash: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What an administrator may change of a client (PATCH /admin/clients/{id}). */
export interface ClientChanges {
  name?: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  grantTypes?: string[];
  resources?: string[];
  firstParty?: boolean;
}

const COLUMNS = `id, name, type, "redirectUris", "postLogoutRedirectUris", "grantTypes", resources, "firstParty", "secretHash", "createdAt", "updatedAt"`;

export class OAuthClientsTable extends Table {
  async create(client: Omit<OAuthClient, 'createdAt' | 'updatedAt'>): Promise<OAuthClient> {
    const { rows } = await this.db.query<OAuthClient>(
      `WITH changed AS (INSERT INTO oauth_client (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now(), now()) RETURNING ${COLUMNS})
       ${CHANGED_ROWS_NOTIFIED}`,
      [
        client.id,
        client.name,
        client.type,
        client.redirectUris,
        client.postLogoutRedirectUris,
        client.grantTypes,
        client.resources,
        client.firstParty,
        client.secretHash,
      ],
    );
    return rows[0]!;
  }

  /** One client by its client_id (every token request reads it: named, planned once per connection). */
  async find(id: string): Promise<OAuthClient | null> {
    const { rows } = await this.db.query<OAuthClient>({ name: 'oauth-client-by-id', text: `SELECT ${COLUMNS} FROM oauth_client WHERE id = $1`, values: [id] });
    return rows[0] ?? null;
  }

  /** Every client, newest first. */
  async list(): Promise<OAuthClient[]> {
    const { rows } = await this.db.query<OAuthClient>(`SELECT ${COLUMNS} FROM oauth_client ORDER BY "createdAt" DESC, id DESC`);
    return rows;
  }

  /** Applies the changes given; null when there is no such client. */
  async update(id: string, changes: ClientChanges): Promise<OAuthClient | null> {
    const { rows } = await this.db.query<OAuthClient>(
      `WITH changed AS (UPDATE oauth_client SET
         name = COALESCE($2, name),
         "redirectUris" = COALESCE($3, "redirectUris"),
         "postLogoutRedirectUris" = COALESCE($4, "postLogoutRedirectUris"),
         "grantTypes" = COALESCE($5, "grantTypes"),
         resources = COALESCE($6, resources),
         "firstParty" = COALESCE($7, "firstParty"),
         "updatedAt" = now()
       WHERE id = $1 RETURNING ${COLUMNS})
       ${CHANGED_ROWS_NOTIFIED}`,
      [
        id,
        changes.name ?? null,
        changes.redirectUris ?? null,
        changes.postLogoutRedirectUris ?? null,
        changes.grantTypes ?? null,
        changes.resources ?? null,
        changes.firstParty ?? null,
      ],
    );
    return rows[0] ?? null;
  }

  /** A confidential client's new secret (its hash); false when there is no such confidential client. */
  async replaceSecret(id: string, secretHash: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `WITH changed AS (UPDATE oauth_client SET "secretHash" = $2, "updatedAt" = now() WHERE id = $1 AND type = 'confidential' RETURNING id)
       ${CHANGED_ROWS_NOTIFIED}`,
      [id, secretHash],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Removes the client (its consents go with it); false when there was none. */
  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.db.query(`WITH changed AS (DELETE FROM oauth_client WHERE id = $1 RETURNING id) ${CHANGED_ROWS_NOTIFIED}`, [id]);
    return (rowCount ?? 0) > 0;
  }
}
