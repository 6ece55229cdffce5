/**
 * A user's view of their sessions: the active ones, and revoking one by id. Revoking sets
 * `revokedAt`, which the refresh path and the access-token check (findBySession) both read,
 * so the session's refresh token and its access tokens stop working with the same write.
 */
import type pg from 'pg';
import type { Clock } from '../clock';

export interface SessionSummary {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  userAgent: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class SessionDirectory {
  constructor(
    private readonly pool: pg.Pool,
    private readonly clock: Clock,
  ) {}

  /** Sessions that can still refresh (not revoked, not expired, a live refresh token), newest first. */
  async listActive(userId: string): Promise<SessionSummary[]> {
    const { rows } = await this.pool.query<SessionSummary>({
      name: 'sessions-active-of-user',
      text: `SELECT s.id, s."createdAt", s."lastUsedAt", s."userAgent"
               FROM session s
              WHERE s."userId" = $1 AND s."revokedAt" IS NULL AND s."expiresAt" > $2
                AND EXISTS (SELECT 1 FROM refresh_token t WHERE t."sessionId" = s.id AND t."rotatedAt" IS NULL AND t."expiresAt" > $2)
              ORDER BY s."createdAt" DESC, s.id DESC`,
      values: [userId, this.clock()],
    });
    return rows;
  }

  /** False when `sessionId` is not a live session of `userId` (unknown, another user's, malformed or already revoked). */
  async revoke(userId: string, sessionId: string): Promise<boolean> {
    if (!UUID.test(sessionId)) return false;
    const { rowCount } = await this.pool.query(
      `UPDATE session SET "revokedAt" = $3, "revokedReason" = 'session-revoked' WHERE id = $2 AND "userId" = $1 AND "revokedAt" IS NULL`,
      [userId, sessionId, this.clock()],
    );
    return (rowCount ?? 0) > 0;
  }
}
