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
import { Statement, withFragments, type Fragment } from '../db/statement';
import { namedFor } from './statement-names';
import type { AuditEvent, AuditEventInput, AuditEventType } from '../domain/audit';

const COLUMNS = `id, type, at, "userId", "actorId", ip, "userAgent", "requestId", data`;
/** The CTE that holds an event written by a composed statement (inserting): reactions read it. */
export const AUDIT_EVENT_ROW = 'audit_event_row';

export interface AuditQuery {
  userId?: string;
  type?: AuditEventType;
  limit: number;
  /** Keyset: events strictly older than this (at, id). */
  before?: { at: Date; id: string };
}

/**
 * The INSERT of a token.reuse_detected event for a CTE `reuse` (revoked session ids) joined to
 * `found` (user_id, session_id), with the request's meta at `$requestId`, `$ip`, `$userAgent`;
 * it returns the event's row, for the audit log's row reactions (webhooks).
 */
export const reuseEventInsert = (params: { now: string; requestId: string; ip: string; userAgent: string }) =>
  `INSERT INTO audit_event (${COLUMNS})
   SELECT gen_random_uuid(), 'token.reuse_detected', ${params.now}, found.user_id, NULL, ${params.ip}, ${params.userAgent}, ${params.requestId},
          jsonb_build_object('sessionId', found.session_id)
     FROM reuse JOIN found ON found.session_id = reuse.id
   RETURNING ${COLUMNS}`;

export class AuditEventsTable extends Table {
  constructor(
    db: Queryable,
    private readonly clock: Clock,
  ) {
    super(db);
  }

  /** The event as it will be stored (its id and time fixed now). */
  prepare(input: AuditEventInput): AuditEvent {
    const { meta } = input;
    return {
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
  }

  /**
   * The INSERT of a prepared event as a fragment (CTE `AUDIT_EVENT_ROW`, returning the row), for a
   * statement that writes it together with the change it records and what reacts to it.
   */
  inserting(event: AuditEvent): Fragment {
    return (statement) => {
      const values = [event.id, event.type, event.at, event.userId, event.actorId, event.ip, event.userAgent, event.requestId, JSON.stringify(event.data)];
      return [
        {
          name: AUDIT_EVENT_ROW,
          body: `INSERT INTO audit_event (${COLUMNS}) VALUES (${values.map((value) => statement.bind(value)).join(', ')}) RETURNING ${COLUMNS}`,
        },
      ];
    };
  }

  /**
   * Writes a prepared event (bound to the transaction of the change it records), and in the same
   * statement whatever reacts to it (`reactions`: fragments that read AUDIT_EVENT_ROW).
   */
  async write(event: AuditEvent, reactions: readonly Fragment[] = []): Promise<void> {
    const statement = new Statement();
    const text = withFragments(statement, reactions, this.inserting(event)(statement), 'SELECT 1');
    await this.db.query({ name: namedFor(text), text, values: statement.values });
  }

  /** Writes one event; returns it as stored. */
  async record(input: AuditEventInput): Promise<AuditEvent> {
    const event = this.prepare(input);
    await this.write(event);
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
