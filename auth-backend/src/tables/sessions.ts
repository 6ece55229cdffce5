/**
 * Tables session and refresh_token (one aggregate: a session is a refresh-token family): every
 * statement on them, and THE rule of a live session (liveSession below), which /auth/me, refresh,
 * the session list, password change and revocation all apply.
 *
 * Plain SQL on the pg pool: these are the hot paths (every refresh, every authenticated request),
 * and rotation needs row locks inside one statement.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import type { Queryable } from '../db/transaction';
import { Table } from './table';
import type { Authenticated, AuthMethod, User } from '../domain/user';
import type { RequestMeta } from '../domain/audit';
import { hashOpaqueToken, newOpaqueToken } from '../crypto/opaque-token';
import { reuseEventInsert } from './audit-events';
import { namedFor } from './statement-names';
import { Statement, withFragments, type Cte, type Fragment } from '../db/statement';

export interface SessionPolicy {
  /** Absolute lifetime of a session, seconds. */
  ttl: number;
  /** Inactivity timeout: a session not refreshed for this long is over, seconds. */
  idleTtl: number;
  /** Seconds after a rotation in which replaying the old token does not revoke the family. */
  reuseInterval: number;
}

export type RevokeReason =
  | 'logout'
  | 'logout-all'
  | 'password-change'
  | 'reuse-detected'
  | 'password-reset'
  | 'session-revoked'
  | 'second-factor-enabled'
  /** An unproved account's sessions, ended when a provider that proved the address took it over. */
  | 'identity-takeover'
  | 'admin-sign-out'
  | 'account-disabled';

export type RotateResult =
  | { kind: 'rotated'; userId: string; sessionId: string; refreshToken: string; user: User; amr: AuthMethod[] }
  | { kind: 'rejected'; reason: 'unknown' | 'expired' | 'revoked' | 'reused' | 'reused-in-grace'; userId?: string; sessionId?: string };

/** A session about to be opened: its id and first refresh token (stored only as `tokenHash`). */
export interface NewSession {
  sessionId: string;
  refreshToken: string;
  tokenHash: string;
}

export interface SessionSummary {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  userAgent: string | null;
}

/**
 * A live session: not revoked, not past its absolute lifetime, and refreshed within the idle
 * timeout (its current refresh token expires at lastUsedAt + idle timeout, capped by the
 * session's own expiry, so this is exactly "its refresh token can still be used").
 * `s` is the session's alias, `now` and `idleSeconds` the placeholders of those values.
 */
export const liveSession = (s: string, now: string, idleSeconds: string, u?: string) =>
  `${s}."revokedAt" IS NULL AND ${s}."expiresAt" > ${now} AND ${s}."lastUsedAt" > ${now}::timestamptz - make_interval(secs => ${idleSeconds}::float8) AND ${activeUser(s, u)}`;

/**
 * ... and its user is not disabled by an administrator (disabling also revokes every session, but
 * the rule holds on its own). `u`: the alias of the session's user when the statement joins it.
 */
const activeUser = (s: string, u?: string) =>
  u ? `${u}."disabledAt" IS NULL` : `NOT EXISTS (SELECT 1 FROM "user" du WHERE du.id = ${s}."userId" AND du."disabledAt" IS NOT NULL)`;

const addSeconds = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);
const earliest = (a: Date, b: Date) => (a < b ? a : b);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface TokenRow {
  email: string;
  name: string | null;
  user_created_at: Date;
  email_verified_at: Date | null;
  mfa_enabled: boolean;
  session_id: string;
  user_id: string;
  rotated_at: Date | null;
  revoked_at: Date | null;
  amr: AuthMethod[];
  live: boolean;
  rotated: boolean;
  reuse_detected: boolean;
}

/**
 * Rotation as one statement: `found` locks the token and its session; when the session is live
 * and the token is its current one (not rotated), the token is marked rotated, the session
 * touched and a successor inserted (expiring after the idle timeout, never after the session);
 * a token rotated longer than the grace interval ago revokes its session. The conditions of
 * `live` and `reuse` exclude each other, so no row is updated twice.
 * A detected reuse writes its audit event in the same statement.
 * $1 token hash, $2 now, $3 successor id, $4 successor hash, $5 idle timeout (s), $6 grace (s),
 * $7-$9 the request's id, ip and user agent (for the audit event).
 */
const ROTATE = `
  WITH found AS (
    SELECT t.id AS token_id, s.id AS session_id, s."userId" AS user_id, t."rotatedAt" AS rotated_at,
           s."expiresAt" AS session_expires_at, s."revokedAt" AS revoked_at, s.amr,
           (${liveSession('s', '$2', '$5', 'u')}) AS live,
           u.email, u.name, u."createdAt" AS user_created_at, u."emailVerifiedAt" AS email_verified_at,
           u."mfaEnabled" AS mfa_enabled
      FROM refresh_token t JOIN session s ON s.id = t."sessionId" JOIN "user" u ON u.id = s."userId"
     WHERE t."tokenHash" = $1
       FOR UPDATE OF t, s
  ), live AS (
    SELECT * FROM found WHERE live AND rotated_at IS NULL
  ), rotated AS (
    UPDATE refresh_token t SET "rotatedAt" = $2 FROM live WHERE t.id = live.token_id
  ), touched AS (
    UPDATE session s SET "lastUsedAt" = $2 FROM live WHERE s.id = live.session_id
  ), successor AS (
    INSERT INTO refresh_token (id, "sessionId", "tokenHash", "createdAt", "expiresAt")
    SELECT $3, session_id, $4, $2, LEAST($2::timestamptz + make_interval(secs => $5::float8), session_expires_at) FROM live
    RETURNING id
  ), reuse AS (
    UPDATE session s SET "revokedAt" = $2, "revokedReason" = 'reuse-detected'
      FROM found
     WHERE s.id = found.session_id AND found.revoked_at IS NULL
       AND found.rotated_at <= $2::timestamptz - make_interval(secs => $6::float8)
    RETURNING s.id
  ), reuse_event AS (
    ${reuseEventInsert({ now: '$2', requestId: '$7', ip: '$8', userAgent: '$9' })}
  )/*reactions*/
  SELECT found.*, EXISTS (SELECT 1 FROM successor) AS rotated, EXISTS (SELECT 1 FROM reuse) AS reuse_detected FROM found`;

export class SessionsTable extends Table {
  constructor(
    db: Queryable,
    private readonly policy: SessionPolicy,
    private readonly clock: Clock,
  ) {
    super(db);
  }

  /** A new session's ids and first refresh token, before it is stored (what goes with it can name the session). */
  prepare(): NewSession {
    const { token, hash } = newOpaqueToken();
    return { sessionId: randomUUID(), refreshToken: token, tokenHash: hash };
  }

  /**
   * Stores a prepared session for `userId`, signed in by `amr`, with its first refresh token, and
   * in the same statement whatever else the sign-in writes (`alsoWrites`: fragments of other table
   * modules), so that it all lands together in one round trip.
   */
  async open(session: NewSession, userId: string, amr: AuthMethod[], userAgent: string | null, alsoWrites: readonly Fragment[] = []): Promise<void> {
    const statement = new Statement();
    const text = this.opening(statement, session, statement.bind(userId), amr, userAgent, [], alsoWrites, 'SELECT 1');
    await this.db.query({ name: namedFor(text), text, values: statement.values });
  }

  /**
   * open(), for a user that `owner` reads in the same statement: `owner.fragments` define CTE
   * `owner.name`, with the user's row (USER_COLUMNS) only when the sign-in may happen. When it has
   * none, the session's user is NULL, which its NOT NULL column refuses: the statement fails and
   * nothing of it (the owner's own writes, `alsoWrites`) happened; undefined then. The user otherwise.
   */
  async openIf(
    session: NewSession,
    owner: { fragments: readonly Fragment[]; name: string },
    amr: AuthMethod[],
    userAgent: string | null,
    alsoWrites: readonly Fragment[] = [],
  ): Promise<User | undefined> {
    const statement = new Statement();
    const before = owner.fragments.flatMap((fragment) => fragment(statement));
    const text = this.opening(statement, session, `(SELECT id FROM ${owner.name})`, amr, userAgent, before, alsoWrites, `SELECT * FROM ${owner.name}`);
    try {
      const { rows } = await this.db.query<User>({ name: namedFor(text), text, values: statement.values });
      return rows[0];
    } catch (error) {
      if (isNullSessionUser(error)) return undefined;
      throw error;
    }
  }

  private opening(
    statement: Statement,
    session: NewSession,
    user: string,
    amr: AuthMethod[],
    userAgent: string | null,
    before: Cte[],
    alsoWrites: readonly Fragment[],
    final: string,
  ): string {
    const now = this.clock();
    const sessionExpiresAt = addSeconds(now, this.policy.ttl);
    const [id, at, expires, tokenId, hash, tokenExpires, agent, methods] = [
      session.sessionId,
      now,
      sessionExpiresAt,
      randomUUID(),
      session.tokenHash,
      earliest(addSeconds(now, this.policy.idleTtl), sessionExpiresAt),
      userAgent,
      amr,
    ].map((value) => statement.bind(value));
    return withFragments(
      statement,
      alsoWrites,
      [
        ...before,
        {
          name: 'opened',
          body: `INSERT INTO session (id, "userId", "createdAt", "expiresAt", "lastUsedAt", "userAgent", amr) VALUES (${id}, ${user}, ${at}, ${expires}, ${at}, ${agent}, ${methods}) RETURNING id`,
        },
        {
          name: 'first_token',
          body: `INSERT INTO refresh_token (id, "sessionId", "tokenHash", "createdAt", "expiresAt") SELECT ${tokenId}, id, ${hash}, ${at}, ${tokenExpires} FROM opened`,
        },
      ],
      final,
    );
  }

  /**
   * Exchanges a refresh token for its successor, in one statement (one round trip). The token and
   * session rows are locked (FOR UPDATE), so of concurrent refreshes of one token exactly one
   * rotates; the others wait for the lock and then see the token rotated. Presenting a rotated
   * token revokes the whole family (reuse detection), unless it was rotated less than
   * `reuseInterval` seconds ago. `onReuse`: the audit log's row reactions to the reuse event.
   */
  async rotate(refreshToken: string, meta?: RequestMeta, onReuse: readonly Fragment[] = []): Promise<RotateResult> {
    const now = this.clock();
    const { token, hash } = newOpaqueToken();
    // What reacts to the reuse event (CTEs over `reuse_event`, binding nothing: the statement's own parameters are fixed).
    const reactions = onReuse.flatMap((fragment) => fragment(new Statement()));
    const text = ROTATE.replace('/*reactions*/', reactions.map((cte) => `, ${cte.name} AS (${cte.body})`).join(''));
    const { rows } = await this.db.query<TokenRow>({
      name: reactions.length > 0 ? namedFor(text) : 'refresh-token-rotate',
      text,
      values: [
        hashOpaqueToken(refreshToken),
        now,
        randomUUID(),
        hash,
        this.policy.idleTtl,
        this.policy.reuseInterval,
        meta?.requestId ?? null,
        meta?.ip ?? null,
        meta?.userAgent ?? null,
      ],
    });
    const row = rows[0];
    if (!row) return { kind: 'rejected', reason: 'unknown' };
    const ids = { userId: row.user_id, sessionId: row.session_id };
    if (row.rotated) {
      const user = {
        id: row.user_id,
        email: row.email,
        name: row.name,
        createdAt: row.user_created_at,
        emailVerifiedAt: row.email_verified_at,
        mfaEnabled: row.mfa_enabled,
      };
      return { kind: 'rotated', ...ids, refreshToken: token, user, amr: row.amr };
    }
    // Why not, in the order the statement checks it.
    if (row.revoked_at) return { kind: 'rejected', reason: 'revoked', ...ids };
    if (row.reuse_detected) return { kind: 'rejected', reason: 'reused', ...ids };
    if (row.rotated_at) return { kind: 'rejected', reason: 'reused-in-grace', ...ids };
    return { kind: 'rejected', reason: 'expired', ...ids };
  }

  /**
   * The user behind an access token's (user, session) claims, provided the session is live: the
   * rule and the user read in one indexed statement, on every authenticated request. Named, so
   * each connection plans it once.
   */
  async findLive(userId: string, sessionId: string, amr: AuthMethod[]): Promise<Authenticated | null> {
    const { rows } = await this.db.query<User>({
      name: 'user-by-live-session',
      text: `SELECT u.id, u.email, u.name, u."createdAt", u."emailVerifiedAt", u."mfaEnabled"
               FROM session s JOIN "user" u ON u.id = s."userId"
              WHERE s.id = $2 AND s."userId" = $1 AND ${liveSession('s', '$3', '$4', 'u')}`,
      values: [userId, sessionId, this.clock(), this.policy.idleTtl],
    });
    return rows[0] ? { user: rows[0], sessionId, amr } : null;
  }

  /** Whether `sessionId` is a live session of `userId`. */
  async isLive(userId: string, sessionId: string): Promise<boolean> {
    const { rows } = await this.db.query(`SELECT 1 FROM session s WHERE s.id = $2 AND s."userId" = $1 AND ${liveSession('s', '$3', '$4')}`, [
      userId,
      sessionId,
      this.clock(),
      this.policy.idleTtl,
    ]);
    return rows.length > 0;
  }

  /** The user's live sessions, newest first. */
  async listLive(userId: string): Promise<SessionSummary[]> {
    const { rows } = await this.db.query<SessionSummary>({
      name: 'sessions-live-of-user',
      text: `SELECT s.id, s."createdAt", s."lastUsedAt", s."userAgent" FROM session s
              WHERE s."userId" = $1 AND ${liveSession('s', '$2', '$3')}
              ORDER BY s."createdAt" DESC, s.id DESC`,
      values: [userId, this.clock(), this.policy.idleTtl],
    });
    return rows;
  }

  /**
   * Marks the live session that provider session `uid` rides on (oidc_session_binding) as used now:
   * an app that keeps refreshing its tokens keeps the session it rides on from its idle timeout.
   * False when there is none (unbound, or over: then it stays over).
   */
  async markUsedByProviderSession(uid: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE session s SET "lastUsedAt" = $2 FROM oidc_session_binding b WHERE b.uid = $1 AND s.id = b."sessionId" AND ${liveSession('s', '$2', '$3')}`,
      [uid, this.clock(), this.policy.idleTtl],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Revokes one live session of `userId`; false when it is not one (unknown, another user's, malformed or over). */
  async revokeOne(userId: string, sessionId: string, reason: RevokeReason): Promise<boolean> {
    if (!UUID.test(sessionId)) return false;
    const { rowCount } = await this.db.query(
      `UPDATE session s SET "revokedAt" = $3, "revokedReason" = $5 WHERE s.id = $2 AND s."userId" = $1 AND ${liveSession('s', '$3', '$4')}`,
      [userId, sessionId, this.clock(), this.policy.idleTtl, reason],
    );
    return (rowCount ?? 0) > 0;
  }

  // Revoking in bulk marks every session not yet revoked, live or not: a session that is over
  // by time stays over even if the timeouts are later raised.

  /** Revokes the session that `refreshToken` belongs to; its user, or null when there is none not yet revoked. */
  async revokeByToken(refreshToken: string, reason: RevokeReason): Promise<{ userId: string; sessionId: string } | null> {
    const { rows } = await this.db.query<{ userId: string; sessionId: string }>(
      `UPDATE session SET "revokedAt" = $2, "revokedReason" = $3
        WHERE id = (SELECT "sessionId" FROM refresh_token WHERE "tokenHash" = $1) AND "revokedAt" IS NULL
        RETURNING "userId", id AS "sessionId"`,
      [hashOpaqueToken(refreshToken), this.clock(), reason],
    );
    return rows[0] ?? null;
  }

  /** Revokes every session of the user not yet revoked, except `keepSessionId`; returns how many. */
  async revokeAllOfUser(userId: string, reason: RevokeReason, keepSessionId?: string): Promise<number> {
    const { rowCount } = await this.db.query(
      `UPDATE session SET "revokedAt" = $2, "revokedReason" = $3
        WHERE "userId" = $1 AND "revokedAt" IS NULL AND ($4::uuid IS NULL OR id <> $4::uuid)`,
      [userId, this.clock(), reason, keepSessionId ?? null],
    );
    return rowCount ?? 0;
  }
}

/** The error of openIf's refusal: a session whose user is NULL (PostgreSQL's not_null_violation on session."userId"). */
const isNullSessionUser = (error: unknown): boolean => {
  const fields = error as { code?: string; table?: string; column?: string };
  return fields.code === '23502' && fields.table === 'session' && fields.column === 'userId';
};
