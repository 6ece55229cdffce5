/**
 * Table audit_event: the one writer and reader of the audit log. A use case calls record() on
 * its transaction, so the event commits (or rolls back) with the change it records. Token reuse
 * is detected inside the refresh statement: its event is written there, by the statement this
 * module builds (reuseEventInsert).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import type { Queryable } from '../db/transaction';
import { Table } from './table';
import type { AuditEvent, AuditEventInput, AuditEventType } from '../domain/audit';

const COLUMNS = `id, type, at, "userId", "actorId", ip, "userAgent", "requestId", data`;

export interface AuditQuery {
  userId?: string;
  type?: AuditEventType;
  limit: number;
  /** Keyset: events strictly older than this (at, id). */
  before?: { at: Date; id: string };
}

/**
 * The INSERT of a token.reuse_detected event for a CTE `reuse` (revoked session ids) joined to
 * `found` (user_id, session_id), with the request's meta at `$requestId`, `$ip`, `$userAgent`.
 */
export const reuseEventInsert = (params: { now: string; requestId: string; ip: string; userAgent: string }) =>
  `INSERT INTO audit_event (${COLUMNS})
   SELECT gen_random_uuid(), 'token.reuse_detected', ${params.now}, found.user_id, NULL, ${params.ip}, ${params.userAgent}, ${params.requestId},
          jsonb_build_object('sessionId', found.session_id)
     FROM reuse JOIN found ON found.session_id = reuse.id`;

export class AuditEventsTable extends Table {
  constructor(
    db: Queryable,
    private readonly clock: Clock,
  ) {
    super(db);
  }

  /** Writes one event (bound to the transaction of the change it records); returns it as stored. */
  async record(input: AuditEventInput): Promise<AuditEvent> {
    const { meta } = input;
    const event: AuditEvent = {
      id: randomUUID(),
      type: input.type,
      at: this.clock(),
      userId: input.userId,
      actorId: input.actorId ?? null,
      ip: meta?.ip ?? null,
      userAgent: meta?.userAgent ?? null,
      requestId: meta?.requestId ?? null,
      data: input.data ?? {},
    };
    await this.db.query({
      name: 'audit-event-record',
      text: `INSERT INTO audit_event (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      values: [event.id, event.type, event.at, event.userId, event.actorId, event.ip, event.userAgent, event.requestId, JSON.stringify(event.data)],
    });
    return event;
  }

  /** Newest first, `limit` of them, after the keyset position `before`. */
  async list(query: AuditQuery): Promise<AuditEvent[]> {
    const { rows } = await this.db.query<AuditEvent>(
      `SELECT ${COLUMNS} FROM audit_event
        WHERE ($1::uuid IS NULL OR "userId" = $1::uuid) AND ($2::text IS NULL OR type = $2::text)
          AND ($3::timestamptz IS NULL OR (at, id) < ($3::timestamptz, $4::uuid))
        ORDER BY at DESC, id DESC LIMIT $5`,
      [query.userId ?? null, query.type ?? null, query.before?.at ?? null, query.before?.id ?? null, query.limit],
    );
    return rows;
  }

  /**
   * Erasure: the events of an erased account keep its id and lose what names the person (the
   * request's ip and user agent, and any data that holds the address). `email` is normalised.
   */
  async forget(userId: string, email: string): Promise<void> {
    await this.db.query(
      `UPDATE audit_event SET ip = NULL, "userAgent" = NULL,
              data = CASE WHEN strpos(lower(data::text), $2) > 0 THEN '{}'::jsonb ELSE data END
        WHERE "userId" = $1 OR strpos(lower(data::text), $2) > 0`,
      [userId, email.toLowerCase()],
    );
  }

  /** Retention: deletes events older than `before`, at most `batch` at a time; returns how many. */
  async pruneOlderThan(before: Date, batch = 10_000): Promise<number> {
    const { rowCount } = await this.db.query(`DELETE FROM audit_event WHERE id IN (SELECT id FROM audit_event WHERE at < $1 LIMIT $2)`, [before, batch]);
    return rowCount ?? 0;
  }
}
