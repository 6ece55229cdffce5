/**
 * Table oauth_consent: which scopes a user let each provider client have, remembered across
 * sign-ins (so the consent page is not asked again for the same client and scopes), and what
 * GET /auth/apps lists.
 */
import { Table } from './table';

export interface Consent {
  clientId: string;
  /** The client's name, for the user's list. */
  name: string;
  scopes: string[];
  grantedAt: Date;
}

export class OAuthConsentsTable extends Table {
  /**
   * Remembers `scopes` for (user, client), adding to what was granted before; returns the scopes
   * this call added (none: nothing new was granted).
   */
  async grant(userId: string, clientId: string, scopes: readonly string[], now: Date): Promise<string[]> {
    const { rows } = await this.db.query<{ before: string[] | null }>(
      `WITH before AS (SELECT scopes FROM oauth_consent WHERE "userId" = $1 AND "clientId" = $2 FOR UPDATE),
       upserted AS (
         INSERT INTO oauth_consent ("userId", "clientId", scopes, "grantedAt") VALUES ($1, $2, $3, $4)
         ON CONFLICT ("userId", "clientId") DO UPDATE
           SET scopes = ARRAY(SELECT DISTINCT s FROM unnest(oauth_consent.scopes || EXCLUDED.scopes) AS s ORDER BY s),
               "grantedAt" = CASE WHEN EXCLUDED.scopes <@ oauth_consent.scopes THEN oauth_consent."grantedAt" ELSE EXCLUDED."grantedAt" END
       )
       SELECT (SELECT scopes FROM before) AS before`,
      [userId, clientId, [...scopes], now],
    );
    const before = new Set(rows[0]?.before ?? []);
    return scopes.filter((scope) => !before.has(scope));
  }

  /** The scopes the user granted the client, or null when none were. */
  async scopesOf(userId: string, clientId: string): Promise<string[] | null> {
    const { rows } = await this.db.query<{ scopes: string[] }>(`SELECT scopes FROM oauth_consent WHERE "userId" = $1 AND "clientId" = $2`, [userId, clientId]);
    return rows[0]?.scopes ?? null;
  }

  /** The user's apps, most recently granted first. */
  async listOfUser(userId: string): Promise<Consent[]> {
    const { rows } = await this.db.query<Consent>(
      `SELECT c."clientId", k.name, c.scopes, c."grantedAt" FROM oauth_consent c JOIN oauth_client k ON k.id = c."clientId"
        WHERE c."userId" = $1 ORDER BY c."grantedAt" DESC, c."clientId"`,
      [userId],
    );
    return rows;
  }

  /** Forgets what the user granted the client; false when nothing was. */
  async revoke(userId: string, clientId: string): Promise<boolean> {
    const { rowCount } = await this.db.query(`DELETE FROM oauth_consent WHERE "userId" = $1 AND "clientId" = $2`, [userId, clientId]);
    return (rowCount ?? 0) > 0;
  }
}
