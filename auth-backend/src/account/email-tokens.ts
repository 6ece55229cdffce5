/**
 * Tokens sent by mail (table email_token): verification of an address, change of address, password
 * reset. Opaque (opaque-token.ts), stored only as a hash, single use, expiring; a token of one
 * purpose never serves another, and issuing one revokes the user's older unused ones of that purpose.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Queryable } from '../db/transaction';
import type { MailContent } from '../mail/outbox';
import { hashOpaqueToken, newOpaqueToken } from '../auth/opaque-token';

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
  /** The account: by id, or by (normalised) address, in which case nothing happens when there is none. */
  user: { id: string } | { email: string };
  purpose: TokenPurpose;
  /** The address the token (and its mail) goes to; default: the account's address. */
  email?: string;
  ttlSeconds: number;
  /** Renders the mail around the new token. */
  mail: (token: string) => MailContent;
  now: Date;
}

const addSeconds = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);

/**
 * Issues a token and queues its mail in ONE statement: atomic without an explicit transaction,
 * and the same statement, round trip and rendering work whether or not the account exists (the
 * forgot-password answer must not tell them apart). Returns whether a token was issued.
 */
export async function issueTokenWithMail(db: Queryable, request: IssueRequest): Promise<boolean> {
  const { token, hash } = newOpaqueToken();
  const mail = request.mail(token);
  const byId = 'id' in request.user;
  const { rows } = await db.query<{ issued: number }>({
    name: byId ? 'email-token-issue-by-id' : 'email-token-issue-by-email',
    text: `WITH target AS (SELECT id, email FROM "user" WHERE ${byId ? 'id = $1::uuid' : 'email = $1'}),
       superseded AS (
         UPDATE email_token SET "revokedAt" = $2
          WHERE "userId" IN (SELECT id FROM target) AND purpose = $3 AND "usedAt" IS NULL AND "revokedAt" IS NULL),
       issued AS (
         INSERT INTO email_token (id, "userId", purpose, "tokenHash", email, "createdAt", "expiresAt")
         SELECT $4, id, $3, $5, COALESCE($6, email), $2, $7 FROM target RETURNING email),
       queued AS (
         INSERT INTO mail_outbox (id, kind, recipient, subject, "textBody", "createdAt", "nextAttemptAt")
         SELECT $8, $9, email, $10, $11, $2, $2 FROM issued RETURNING id)
       SELECT count(*)::int AS issued FROM queued`,
    values: [
      'id' in request.user ? request.user.id : request.user.email,
      request.now,
      request.purpose,
      randomUUID(),
      hash,
      request.email ?? null,
      addSeconds(request.now, request.ttlSeconds),
      randomUUID(),
      mail.kind,
      mail.subject,
      mail.text,
    ],
  });
  return (rows[0]?.issued ?? 0) > 0;
}

/** The token behind `token` among `purposes`, with its user; `lock` takes both rows for the caller's transaction. */
export async function findToken(db: Queryable, token: string, purposes: TokenPurpose[], lock = false): Promise<TokenRow | undefined> {
  const { rows } = await db.query<TokenRow>(
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

/** Whether the token may be used now: not used, not revoked or superseded, not expired. */
export const isLive = (row: TokenRow, now: Date) => !row.usedAt && !row.revokedAt && !row.superseded && row.expiresAt > now;

export async function markUsed(client: pg.ClientBase, id: string, now: Date): Promise<void> {
  await client.query(`UPDATE email_token SET "usedAt" = $2 WHERE id = $1`, [id, now]);
}

/** Revokes the user's unused tokens (of `purposes`, or all), e.g. after the address they were sent to changed. */
export async function revokeTokensOfUser(client: pg.ClientBase, userId: string, now: Date, purposes?: TokenPurpose[]): Promise<void> {
  await client.query(
    `UPDATE email_token SET "revokedAt" = $2
      WHERE "userId" = $1 AND "usedAt" IS NULL AND "revokedAt" IS NULL AND ($3::text[] IS NULL OR purpose = ANY($3::text[]))`,
    [userId, now, purposes ?? null],
  );
}
