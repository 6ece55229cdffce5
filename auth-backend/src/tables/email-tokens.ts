/**
 * Table email_token: tokens sent by mail (verification of an address, change of address, password
 * reset). Opaque (crypto/opaque-token.ts), stored only as a hash, single use, expiring; a token of
 * one purpose never serves another, and issuing one revokes the user's older unused ones of that
 * purpose. isUsable is the one rule of a token that may still be used.
 */
import { randomUUID } from 'node:crypto';
import { Table } from './table';
import { hashOpaqueToken, newOpaqueToken } from '../crypto/opaque-token';

export type TokenPurpose = 'verify-email' | 'change-email' | 'reset-password';

export interface TokenRow {
  id: string;
  userId: string;
  purpose: TokenPurpose;
  /** The address the token was sent to. */
  email: string;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
  /** Whether a newer token of the same purpose exists for the user (only the newest works). */
  superseded: boolean;
  userEmail: string;
  userEmailVerifiedAt: Date | null;
}

export interface IssueRequest {
  /** The account: by id, or by (normalised) address, in which case nothing is issued when there is none. */
  user: { id: string } | { email: string };
  purpose: TokenPurpose;
  /** The address the token goes to; default: the account's address. */
  email?: string;
  ttlSeconds: number;
  now: Date;
}

const addSeconds = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);

/** Whether the token may be used now: not used, not revoked or superseded, not expired. */
export const isUsable = (row: TokenRow, now: Date) => !row.usedAt && !row.revokedAt && !row.superseded && row.expiresAt > now;

export class EmailTokensTable extends Table {
  /**
   * Issues a token (revoking the user's older unused ones of its purpose) in one statement that
   * does the same work whether or not the account exists. Returns the token and the address it
   * goes to, or undefined when there is no such account.
   */
  async issue(request: IssueRequest): Promise<{ token: string; recipient: string } | undefined> {
    const { token, hash } = newOpaqueToken();
    const byId = 'id' in request.user;
    const { rows } = await this.db.query<{ email: string }>({
      name: byId ? 'email-token-issue-by-id' : 'email-token-issue-by-email',
      // A disabled account gets no mail (the same statement, and the same answer, either way).
      text: `WITH target AS (SELECT id, email FROM "user" WHERE ${byId ? 'id = $1::uuid' : 'email = $1'} AND "disabledAt" IS NULL),
         superseded AS (
           UPDATE email_token SET "revokedAt" = $2
            WHERE "userId" IN (SELECT id FROM target) AND purpose = $3 AND "usedAt" IS NULL AND "revokedAt" IS NULL)
         INSERT INTO email_token (id, "userId", purpose, "tokenHash", email, "createdAt", "expiresAt")
         SELECT $4, id, $3, $5, COALESCE($6, email), $2, $7 FROM target RETURNING email`,
      values: [
        'id' in request.user ? request.user.id : request.user.email,
        request.now,
        request.purpose,
        randomUUID(),
        hash,
        request.email ?? null,
        addSeconds(request.now, request.ttlSeconds),
      ],
    });
    return rows[0] ? { token, recipient: rows[0].email } : undefined;
  }

  /** The token behind `token` among `purposes`, with its user; bound to a transaction, both rows are locked for it. */
  async find(token: string, purposes: TokenPurpose[]): Promise<TokenRow | undefined> {
    const lock = this.inTransaction;
    const { rows } = await this.db.query<TokenRow>(
      `SELECT t.id, t."userId", t.purpose, t.email, t."expiresAt", t."usedAt", t."revokedAt",
              EXISTS (SELECT 1 FROM email_token n WHERE n."userId" = t."userId" AND n.purpose = t.purpose
                         AND (n."createdAt", n.id) > (t."createdAt", t.id)) AS superseded,
              u.email AS "userEmail", u."emailVerifiedAt" AS "userEmailVerifiedAt"
         FROM email_token t JOIN "user" u ON u.id = t."userId"
        WHERE t."tokenHash" = $1 AND t.purpose = ANY($2::text[])
        ${lock ? 'FOR UPDATE OF t, u' : ''}`,
      [hashOpaqueToken(token), purposes],
    );
    return rows[0];
  }

  async markUsed(id: string, now: Date): Promise<void> {
    await this.db.query(`UPDATE email_token SET "usedAt" = $2 WHERE id = $1`, [id, now]);
  }

  /** Revokes the user's unused tokens (of `purposes`, or all), e.g. after the address they were sent to changed. */
  async revokeOfUser(userId: string, now: Date, purposes?: TokenPurpose[]): Promise<void> {
    await this.db.query(
      `UPDATE email_token SET "revokedAt" = $2
        WHERE "userId" = $1 AND "usedAt" IS NULL AND "revokedAt" IS NULL AND ($3::text[] IS NULL OR purpose = ANY($3::text[]))`,
      [userId, now, purposes ?? null],
    );
  }

  /** Every address the user's tokens were sent to (the account's, and a pending change's new one): erasure deletes their mail. */
  async addressesOfUser(userId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ email: string }>(`SELECT DISTINCT email FROM email_token WHERE "userId" = $1`, [userId]);
    return rows.map((row) => row.email);
  }
}
