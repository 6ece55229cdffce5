/**
 * Table oidc_exchange_code: the one-time code that a finished provider sign-in hands to the
 * browser (in the redirect), for POST /auth/oidc/exchange. Opaque, stored only as a hash, single
 * use, short-lived; it carries the user and how they signed in.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import type { Queryable } from '../db/transaction';
import { Table } from './table';
import type { AuthMethod } from '../domain/user';
import { hashOpaqueToken, newOpaqueToken } from '../crypto/opaque-token';

export class OidcExchangeCodesTable extends Table {
  constructor(
    db: Queryable,
    private readonly clock: Clock,
  ) {
    super(db);
  }

  /** Issues a code for the user; returns the code itself (only its hash is stored). */
  async issue(grant: { userId: string; amr: AuthMethod[]; ttlSeconds: number }): Promise<string> {
    const { token, hash } = newOpaqueToken();
    const now = this.clock();
    await this.db.query(`INSERT INTO oidc_exchange_code (id, "codeHash", "userId", amr, "createdAt", "expiresAt") VALUES ($1, $2, $3, $4, $5, $6)`, [
      randomUUID(),
      hash,
      grant.userId,
      grant.amr,
      now,
      new Date(now.getTime() + grant.ttlSeconds * 1000),
    ]);
    await this.db.query(`DELETE FROM oidc_exchange_code WHERE id IN (SELECT id FROM oidc_exchange_code WHERE "expiresAt" < $1 LIMIT 100)`, [now]);
    return token;
  }

  /** Spends the code in one statement: its user and methods, or undefined when unknown, spent or expired. */
  async consume(code: string): Promise<{ userId: string; amr: AuthMethod[] } | undefined> {
    const { rows } = await this.db.query<{ userId: string; amr: AuthMethod[] }>(
      `UPDATE oidc_exchange_code SET "usedAt" = $2 WHERE "codeHash" = $1 AND "usedAt" IS NULL AND "expiresAt" > $2 RETURNING "userId", amr`,
      [hashOpaqueToken(code), this.clock()],
    );
    return rows[0];
  }

  /** Ends every unused code of the user. */
  async removeOfUser(userId: string): Promise<void> {
    await this.db.query(`DELETE FROM oidc_exchange_code WHERE "userId" = $1`, [userId]);
  }
}
