/**
 * Sessions (refresh-token families) and their refresh tokens. Plain SQL on the shared pg pool:
 * these are the hot paths (every refresh, every authenticated request), and rotation needs row
 * locks inside one transaction, which Prisma's client expresses poorly and slowly.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Clock } from '../clock';
import { hashOpaqueToken, newOpaqueToken } from './opaque-token';

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

/**
 * Rotation as one statement: `found` locks the token and its session; a live token (session not
 * revoked, token not rotated, neither expired) is marked rotated, its session touched and its
 * successor inserted (expiring after the idle timeout, never after the session); a token rotated
 * longer than the grace interval ago revokes its session. The conditions of `live` and
 * `reuse` exclude each other, so no row is updated twice. The row that comes back is the token
 * as found, with what was done.
 * $1 token hash, $2 now, $3 successor id, $4 successor hash, $5 now + idle timeout, $6 grace (s).
 */
const ROTATE = `
  WITH found AS (
    SELECT t.id AS token_id, s.id AS session_id, s."userId" AS user_id, t."expiresAt" AS token_expires_at,
           t."rotatedAt" AS rotated_at, s."expiresAt" AS session_expires_at, s."revokedAt" AS revoked_at,
           u.email, u.name, u."createdAt" AS user_created_at, u."emailVerifiedAt" AS email_verified_at
      FROM refresh_token t JOIN session s ON s.id = t."sessionId" JOIN "user" u ON u.id = s."userId"
     WHERE t."tokenHash" = $1
       FOR UPDATE OF t, s
  ), live AS (
    SELECT * FROM found
     WHERE revoked_at IS NULL AND rotated_at IS NULL AND token_expires_at > $2 AND session_expires_at > $2
  ), rotated AS (
    UPDATE refresh_token t SET "rotatedAt" = $2 FROM live WHERE t.id = live.token_id
  ), touched AS (
    UPDATE session s SET "lastUsedAt" = $2 FROM live WHERE s.id = live.session_id
  ), successor AS (
    INSERT INTO refresh_token (id, "sessionId", "tokenHash", "createdAt", "expiresAt")
    SELECT $3, session_id, $4, $2, LEAST($5::timestamptz, session_expires_at) FROM live
    RETURNING id
  ), reuse AS (
    UPDATE session s SET "revokedAt" = $2, "revokedReason" = 'reuse-detected'
      FROM found
     WHERE s.id = found.session_id AND found.revoked_at IS NULL
       AND found.rotated_at <= $2::timestamptz - make_interval(secs => $6::float8)
    RETURNING s.id
  )
  SELECT found.*, EXISTS (SELECT 1 FROM successor) AS rotated, EXISTS (SELECT 1 FROM reuse) AS reuse_detected FROM found`;
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
   * Exchanges a refresh token for its successor, in one statement (one round trip: refresh is a
   * hot path, and each round trip costs the event loop a socket write and a wakeup). The token
   * and session rows are locked (FOR UPDATE), so of concurrent refreshes of one token exactly
   * one rotates; the others wait for the lock and then see the token rotated (PostgreSQL
   * re-reads a locked row once its locker commits). Presenting a rotated token revokes the whole
   * family (reuse detection), unless it was rotated less than `reuseInterval` seconds ago.
   */
  async rotate(refreshToken: string): Promise<RotateResult> {
    const now = this.clock();
    const { token, hash } = newOpaqueToken();
    const { rows } = await this.pool.query<TokenRow & { rotated: boolean; reuse_detected: boolean }>({
      name: 'refresh-token-rotate',
      text: ROTATE,
      values: [hashOpaqueToken(refreshToken), now, randomUUID(), hash, addSeconds(now, this.policy.idleTtl), this.policy.reuseInterval],
    });
    const row = rows[0];
    if (!row) return { kind: 'rejected', reason: 'unknown' };
    const ids = { userId: row.user_id, sessionId: row.session_id };
    if (row.rotated) {
      const user = { id: row.user_id, email: row.email, name: row.name, createdAt: row.user_created_at, emailVerifiedAt: row.email_verified_at };
      return { kind: 'rotated', ...ids, refreshToken: token, user };
    }
    // Why not, in the order the statement checks it.
    if (row.revoked_at) return { kind: 'rejected', reason: 'revoked', ...ids };
    if (row.reuse_detected) return { kind: 'rejected', reason: 'reused', ...ids };
    if (row.rotated_at) return { kind: 'rejected', reason: 'reused-in-grace', ...ids };
    return { kind: 'rejected', reason: 'expired', ...ids };
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
