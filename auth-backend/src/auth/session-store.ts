/**
 * Sessions (refresh-token families) and their refresh tokens. Plain SQL on the shared pg pool:
 * these are the hot paths (every refresh, every authenticated request), and rotation needs row
 * locks inside one transaction, which Prisma's client expresses poorly and slowly.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Clock } from '../clock';
import { hashOpaqueToken, newOpaqueToken } from './opaque-token';
import { withTransaction } from '../db/transaction';

export interface SessionPolicy {
  /** Absolute lifetime of a session, seconds. */
  ttl: number;
  /** Inactivity timeout of each refresh token, seconds. */
  idleTtl: number;
  /** Seconds after a rotation in which replaying the old token does not revoke the family. */
  reuseInterval: number;
}

export type RevokeReason = 'logout' | 'logout-all' | 'password-change' | 'reuse-detected' | 'password-reset';

export type RotateResult =
  | { kind: 'rotated'; userId: string; sessionId: string; refreshToken: string; user: SessionUser }
  | { kind: 'rejected'; reason: 'unknown' | 'expired' | 'revoked' | 'reused' | 'reused-in-grace'; userId?: string; sessionId?: string };

/** The session's user, read in the same locked query as the token. */
export interface SessionUser {
  id: string;
  email: string;
  name: string | null;
  createdAt: Date;
  emailVerifiedAt: Date | null;
}

interface TokenRow {
  email: string;
  name: string | null;
  user_created_at: Date;
  email_verified_at: Date | null;
  token_id: string;
  session_id: string;
  user_id: string;
  token_expires_at: Date;
  rotated_at: Date | null;
  session_expires_at: Date;
  revoked_at: Date | null;
}

const addSeconds = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);
const earliest = (a: Date, b: Date) => (a < b ? a : b);

export class SessionStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly policy: SessionPolicy,
    private readonly clock: Clock,
  ) {}

  /** Opens a session for `userId` with its first refresh token, in one statement. */
  async open(userId: string, userAgent: string | null = null): Promise<{ sessionId: string; refreshToken: string }> {
    const now = this.clock();
    const sessionId = randomUUID();
    const sessionExpiresAt = addSeconds(now, this.policy.ttl);
    const { token, hash } = newOpaqueToken();
    await this.pool.query({
      name: 'session-open',
      text: `WITH opened AS (
         INSERT INTO session (id, "userId", "createdAt", "expiresAt", "lastUsedAt", "userAgent") VALUES ($1, $2, $3, $4, $3, $8) RETURNING id
       )
       INSERT INTO refresh_token (id, "sessionId", "tokenHash", "createdAt", "expiresAt")
       SELECT $5, id, $6, $3, $7 FROM opened`,
      values: [sessionId, userId, now, sessionExpiresAt, randomUUID(), hash, earliest(addSeconds(now, this.policy.idleTtl), sessionExpiresAt), userAgent],
    });
    return { sessionId, refreshToken: token };
  }

  /**
   * Exchanges a refresh token for its successor. The token and session rows are locked, so of
   * concurrent refreshes of one token exactly one rotates; the others see it rotated.
   * Presenting a rotated token revokes the whole family (reuse detection), unless it was
   * rotated less than `reuseInterval` seconds ago.
   */
  rotate(refreshToken: string): Promise<RotateResult> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<TokenRow>({
        name: 'refresh-token-lock',
        text: `SELECT t.id AS token_id, s.id AS session_id, s."userId" AS user_id, t."expiresAt" AS token_expires_at,
                t."rotatedAt" AS rotated_at, s."expiresAt" AS session_expires_at, s."revokedAt" AS revoked_at,
                u.email, u.name, u."createdAt" AS user_created_at, u."emailVerifiedAt" AS email_verified_at
           FROM refresh_token t JOIN session s ON s.id = t."sessionId" JOIN "user" u ON u.id = s."userId"
          WHERE t."tokenHash" = $1
          FOR UPDATE OF t, s`,
        values: [hashOpaqueToken(refreshToken)],
      });
      const row = rows[0];
      return row ? this.decide(client, row) : ({ kind: 'rejected', reason: 'unknown' } as const);
    });
  }

  private async decide(client: pg.PoolClient, row: TokenRow): Promise<RotateResult> {
    const now = this.clock();
    const ids = { userId: row.user_id, sessionId: row.session_id };
    if (row.revoked_at) return { kind: 'rejected', reason: 'revoked', ...ids };
    if (row.rotated_at) {
      if (now.getTime() - row.rotated_at.getTime() < this.policy.reuseInterval * 1000) return { kind: 'rejected', reason: 'reused-in-grace', ...ids };
      await client.query(`UPDATE session SET "revokedAt" = $2, "revokedReason" = 'reuse-detected' WHERE id = $1`, [row.session_id, now]);
      return { kind: 'rejected', reason: 'reused', ...ids };
    }
    if (row.token_expires_at <= now || row.session_expires_at <= now) return { kind: 'rejected', reason: 'expired', ...ids };

    const { token, hash } = newOpaqueToken();
    await client.query({
      name: 'refresh-token-rotate',
      text: `WITH rotated AS (UPDATE refresh_token SET "rotatedAt" = $2 WHERE id = $1),
            used AS (UPDATE session SET "lastUsedAt" = $2 WHERE id = $4)
       INSERT INTO refresh_token (id, "sessionId", "tokenHash", "createdAt", "expiresAt") VALUES ($3, $4, $5, $2, $6)`,
      values: [row.token_id, now, randomUUID(), row.session_id, hash, earliest(addSeconds(now, this.policy.idleTtl), row.session_expires_at)],
    });
    return {
      kind: 'rotated',
      ...ids,
      refreshToken: token,
      user: { id: row.user_id, email: row.email, name: row.name, createdAt: row.user_created_at, emailVerifiedAt: row.email_verified_at },
    };
  }

  /** Revokes the session that `refreshToken` belongs to; false when there is none. */
  async revokeByToken(refreshToken: string, reason: RevokeReason): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE session SET "revokedAt" = $2, "revokedReason" = $3
        WHERE id = (SELECT "sessionId" FROM refresh_token WHERE "tokenHash" = $1) AND "revokedAt" IS NULL`,
      [hashOpaqueToken(refreshToken), this.clock(), reason],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Revokes every live session of the user, except `keepSessionId`; returns how many. `db`: a transaction's client. */
  async revokeAllOfUser(userId: string, reason: RevokeReason, keepSessionId?: string, db: pg.ClientBase | pg.Pool = this.pool): Promise<number> {
    const { rowCount } = await db.query(
      `UPDATE session SET "revokedAt" = $2, "revokedReason" = $3
        WHERE "userId" = $1 AND "revokedAt" IS NULL AND ($4::uuid IS NULL OR id <> $4::uuid)`,
      [userId, this.clock(), reason, keepSessionId ?? null],
    );
    return rowCount ?? 0;
  }
}
