/**
 * Table user_identity: a user's identities at OpenID Connect providers, each the pair
 * (provider, subject), unique across users. Every statement on it, and the row-to-domain mapping.
 */
import { randomUUID } from 'node:crypto';
import { Table } from './table';

export interface Identity {
  id: string;
  userId: string;
  /** The provider's id (OIDC_PROVIDERS). */
  provider: string;
  /** The provider's `sub`. */
  subject: string;
  email: string | null;
  createdAt: Date;
}

const COLUMNS = `id, "userId", provider, subject, email, "createdAt"`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class IdentitiesTable extends Table {
  async find(provider: string, subject: string): Promise<Identity | null> {
    const { rows } = await this.db.query<Identity>({
      name: 'identity-by-subject',
      text: `SELECT ${COLUMNS} FROM user_identity WHERE provider = $1 AND subject = $2`,
      values: [provider, subject],
    });
    return rows[0] ?? null;
  }

  /** The address the provider asserts now (shown in the identities list; the account's own address is another matter). */
  async recordProviderEmail(identityId: string, email: string): Promise<void> {
    await this.db.query(`UPDATE user_identity SET email = $2 WHERE id = $1 AND email IS DISTINCT FROM $2`, [identityId, email]);
  }

  /** Links (provider, subject) to the user; a unique violation (linked meanwhile) propagates. */
  async link(identity: { userId: string; provider: string; subject: string; email: string | null }): Promise<Identity> {
    const { rows } = await this.db.query<Identity>(
      `INSERT INTO user_identity (id, "userId", provider, subject, email, "createdAt") VALUES ($1, $2, $3, $4, $5, now()) RETURNING ${COLUMNS}`,
      [randomUUID(), identity.userId, identity.provider, identity.subject, identity.email],
    );
    return rows[0]!;
  }

  /** The user's identities, oldest first. */
  async listOfUser(userId: string): Promise<Identity[]> {
    const { rows } = await this.db.query<Identity>(`SELECT ${COLUMNS} FROM user_identity WHERE "userId" = $1 ORDER BY "createdAt", id`, [userId]);
    return rows;
  }

  /** Removes one identity of the user; false when it is not one (unknown, another user's, malformed id). */
  async unlink(userId: string, id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const { rowCount } = await this.db.query(`DELETE FROM user_identity WHERE id = $1 AND "userId" = $2`, [id, userId]);
    return (rowCount ?? 0) > 0;
  }

  /** Removes every identity of the user; returns how many. */
  async removeOfUser(userId: string): Promise<number> {
    const { rowCount } = await this.db.query(`DELETE FROM user_identity WHERE "userId" = $1`, [userId]);
    return rowCount ?? 0;
  }
}
