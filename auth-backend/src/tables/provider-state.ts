/**
 * Tables oidc_provider_state and oidc_session_binding (one aggregate: the OpenID Provider's state).
 *
 * oidc_provider_state holds every piece of oidc-provider's state (sessions, grants, codes, tokens,
 * interactions, device codes...), one row per (model, key), where the key is the SHA-256 of the
 * library's id (a token's id is the token itself) and the payload is sealed by the caller
 * (provider/provider-adapter.ts). A few payload fields are copied to columns to be found by
 * (grant, session uid, user code, account and client).
 *
 * oidc_session_binding says which service session (table session) a browser's provider session
 * (its uid) rides on. THE rule of the provider's state: a row bound to a provider session
 * (`boundTo`: a signed-in browser session, or a token issued through one) counts only while that
 * service session is live (tables/sessions.ts, liveSession): revoking the session, signing out
 * everywhere, disabling or deleting the user ends the single sign-on and every token at once.
 */
import type { Clock } from '../clock';
import type { Queryable } from '../db/transaction';
import { Table } from './table';
import { liveSession } from './sessions';

export interface StateRow {
  model: string;
  key: string;
  /** Sealed by the caller. */
  payload: string;
  grantId: string | null;
  uid: string | null;
  userCodeHash: string | null;
  accountId: string | null;
  clientId: string | null;
  /** The uid of the provider session whose service session must be live for this row to count. */
  boundTo: string | null;
  expiresAt: Date | null;
}

export interface FoundState {
  key: string;
  payload: string;
  consumedAt: Date | null;
}

/** Whether a row's binding holds: unbound, or bound to a provider session whose service session is live. $2 now, $3 idle timeout (s). */
const BOUND_AND_LIVE = `(o."boundTo" IS NULL OR EXISTS (
  SELECT 1 FROM oidc_session_binding b JOIN session s ON s.id = b."sessionId"
   WHERE b.uid = o."boundTo" AND ${liveSession('s', '$2', '$3')}))`;
const NOT_EXPIRED = `(o."expiresAt" IS NULL OR o."expiresAt" > $2)`;
const FOUND = `o.key, o.payload, o."consumedAt"`;

export class ProviderStateTable extends Table {
  constructor(
    db: Queryable,
    private readonly clock: Clock,
    /** REFRESH_TOKEN_IDLE_TTL: part of the live-session rule. */
    private readonly idleSeconds: number,
  ) {
    super(db);
  }

  async upsert(row: StateRow): Promise<void> {
    await this.db.query({
      name: 'provider-state-upsert',
      text: `INSERT INTO oidc_provider_state (model, key, payload, "grantId", uid, "userCodeHash", "accountId", "clientId", "boundTo", "expiresAt")
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (model, key) DO UPDATE SET payload = EXCLUDED.payload, "grantId" = EXCLUDED."grantId", uid = EXCLUDED.uid,
               "userCodeHash" = COALESCE(EXCLUDED."userCodeHash", oidc_provider_state."userCodeHash"), "accountId" = EXCLUDED."accountId",
               "clientId" = EXCLUDED."clientId", "boundTo" = EXCLUDED."boundTo", "expiresAt" = EXCLUDED."expiresAt"`,
      values: [row.model, row.key, row.payload, row.grantId, row.uid, row.userCodeHash, row.accountId, row.clientId, row.boundTo, row.expiresAt],
    });
  }

  /** A row that has not expired and whose binding holds. */
  async find(model: string, key: string): Promise<FoundState | undefined> {
    const { rows } = await this.db.query<FoundState>({
      name: 'provider-state-find',
      text: `SELECT ${FOUND} FROM oidc_provider_state o WHERE o.model = $1 AND o.key = $4 AND ${NOT_EXPIRED} AND ${BOUND_AND_LIVE}`,
      values: [model, this.clock(), this.idleSeconds, key],
    });
    return rows[0];
  }

  /** A provider session by its uid (same rule as find). */
  async findByUid(model: string, uid: string): Promise<FoundState | undefined> {
    const { rows } = await this.db.query<FoundState>(
      `SELECT ${FOUND} FROM oidc_provider_state o WHERE o.model = $1 AND o.uid = $4 AND ${NOT_EXPIRED} AND ${BOUND_AND_LIVE}
        ORDER BY o."expiresAt" DESC NULLS FIRST LIMIT 1`,
      [model, this.clock(), this.idleSeconds, uid],
    );
    return rows[0];
  }

  /** A device code by the hash of its user code (same rule as find). */
  async findByUserCodeHash(model: string, userCodeHash: string): Promise<FoundState | undefined> {
    const { rows } = await this.db.query<FoundState>(
      `SELECT ${FOUND} FROM oidc_provider_state o WHERE o.model = $1 AND o."userCodeHash" = $4 AND ${NOT_EXPIRED} AND ${BOUND_AND_LIVE} LIMIT 1`,
      [model, this.clock(), this.idleSeconds, userCodeHash],
    );
    return rows[0];
  }

  async consume(model: string, key: string): Promise<void> {
    await this.db.query(`UPDATE oidc_provider_state SET "consumedAt" = $3 WHERE model = $1 AND key = $2 AND "consumedAt" IS NULL`, [model, key, this.clock()]);
  }

  async destroy(model: string, key: string): Promise<void> {
    await this.db.query(`DELETE FROM oidc_provider_state WHERE model = $1 AND key = $2`, [model, key]);
  }

  async revokeByGrantId(model: string, grantId: string): Promise<void> {
    await this.db.query(`DELETE FROM oidc_provider_state WHERE model = $1 AND "grantId" = $2`, [model, grantId]);
  }

  /** Every grant and token that `accountId` holds for `clientId` (DELETE /auth/apps/{clientId}); how many rows went. */
  async deleteOfAccountAndClient(accountId: string, clientId: string): Promise<number> {
    const { rowCount } = await this.db.query(`DELETE FROM oidc_provider_state WHERE "accountId" = $1 AND "clientId" = $2 AND model <> 'Session'`, [
      accountId,
      clientId,
    ]);
    return rowCount ?? 0;
  }

  /** Every grant and token of a client (the client is deleted). */
  async deleteOfClient(clientId: string): Promise<number> {
    const { rowCount } = await this.db.query(`DELETE FROM oidc_provider_state WHERE "clientId" = $1`, [clientId]);
    return rowCount ?? 0;
  }

  /** Everything the provider keeps about an account (the account is erased). */
  async deleteOfAccount(accountId: string): Promise<number> {
    const { rowCount } = await this.db.query(`DELETE FROM oidc_provider_state WHERE "accountId" = $1`, [accountId]);
    return rowCount ?? 0;
  }

  /** The provider session `uid` rides on service session `sessionId` from now on (a hosted sign-in finished). */
  async bind(uid: string, sessionId: string): Promise<void> {
    await this.db.query(
      `INSERT INTO oidc_session_binding (uid, "sessionId", "createdAt") VALUES ($1, $2, $3)
       ON CONFLICT (uid) DO UPDATE SET "sessionId" = EXCLUDED."sessionId", "createdAt" = EXCLUDED."createdAt"`,
      [uid, sessionId, this.clock()],
    );
  }

  /** The live service session that provider session `uid` rides on, with its user. */
  async boundSession(uid: string): Promise<{ sessionId: string; userId: string } | undefined> {
    const { rows } = await this.db.query<{ sessionId: string; userId: string }>(
      `SELECT s.id AS "sessionId", s."userId" FROM oidc_session_binding b JOIN session s ON s.id = b."sessionId"
        WHERE b.uid = $1 AND ${liveSession('s', '$2', '$3')}`,
      [uid, this.clock(), this.idleSeconds],
    );
    return rows[0];
  }

  /** Sealed payloads of unexpired state, a page at a time in (model, key) order after `after` (npm run secrets:reseal). */
  async listSealed(after: { model: string; key: string } | undefined, limit: number): Promise<Array<{ model: string; key: string; payload: string }>> {
    const { rows } = await this.db.query<{ model: string; key: string; payload: string }>(
      `SELECT o.model, o.key, o.payload FROM oidc_provider_state o
        WHERE ($1::text IS NULL OR (o.model, o.key) > ($1::text, $2::text)) AND (o."expiresAt" IS NULL OR o."expiresAt" > $4)
        ORDER BY o.model, o.key LIMIT $3`,
      [after?.model ?? null, after?.key ?? null, limit, this.clock()],
    );
    return rows;
  }

  /** Replaces a payload if it is still the one that was read (the library may have rewritten it meanwhile); true if replaced. */
  async replaceSealedPayload(model: string, key: string, previous: string, sealed: string): Promise<boolean> {
    const result = await this.db.query(`UPDATE oidc_provider_state SET payload = $4 WHERE model = $1 AND key = $2 AND payload = $3`, [
      model,
      key,
      previous,
      sealed,
    ]);
    return result.rowCount === 1;
  }

  /**
   * Removes up to `limit` rows that no longer count: expired state (after `graceSeconds`, so a
   * request that just read a row finishes with it), and bindings whose service session is over.
   */
  async deleteExpired(limit: number, graceSeconds: number): Promise<number> {
    const now = this.clock();
    const cutoff = new Date(now.getTime() - graceSeconds * 1000);
    const state = await this.db.query(
      `DELETE FROM oidc_provider_state WHERE ctid = ANY (ARRAY(SELECT ctid FROM oidc_provider_state WHERE "expiresAt" < $1 LIMIT $2))`,
      [cutoff, limit],
    );
    const bindings = await this.db.query(
      `DELETE FROM oidc_session_binding WHERE uid = ANY (ARRAY(
         SELECT b.uid FROM oidc_session_binding b JOIN session s ON s.id = b."sessionId"
          WHERE b."createdAt" < $3 AND NOT (${liveSession('s', '$1', '$4')}) LIMIT $2))`,
      [now, limit, cutoff, this.idleSeconds],
    );
    return (state.rowCount ?? 0) + (bindings.rowCount ?? 0);
  }
}
