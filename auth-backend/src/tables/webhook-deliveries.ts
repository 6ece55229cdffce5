/**
 * Table webhook_delivery: the webhooks' outbox, one row per event and endpoint; its id is the
 * `webhook-id` header of every attempt. Rows are written by the audit event's own statement (an
 * SQL reaction, audit/audit-log.ts): a rolled-back change leaves none, a committed one always
 * has them, and the INSERT NOTIFYs `WEBHOOK_QUEUED_CHANNEL` (delivered at commit, to every
 * replica). The body is fixed then: the event and the user as the JSON API showed them.
 *
 * Delivery is by lease, as for mail_outbox (outbox/delivery-loop.ts): claim() moves the next
 * attempt a lease ahead and counts it (SKIP LOCKED), the outcome is recorded fenced by the attempt.
 */
import { randomUUID } from 'node:crypto';
import type { Cte, Fragment } from '../db/statement';
import { Statement, withFragments } from '../db/statement';
import type { Room } from '../outbox/delivery-loop';
import { namedFor } from './statement-names';
import { Table } from './table';

export const WEBHOOK_QUEUED_CHANNEL = 'webhook_delivery_queued';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface ClaimedDelivery {
  id: string;
  webhookId: string;
  eventType: string;
  /** The body exactly as every attempt sends it. */
  body: string;
  attempt: number;
  url: string;
  sealedSecret: string;
  sealedPreviousSecret: string | null;
  previousSecretUntil: Date | null;
}

export interface DeliveryRow {
  id: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: Date;
  createdAt: Date;
  deliveredAt: Date | null;
}

export interface DeliveryQuery {
  status?: DeliveryStatus;
  limit: number;
  /** Keyset: deliveries strictly older than this (createdAt, id). */
  before?: { at: Date; id: string };
}

const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The API's User of row `u` (users/user-body.ts), or null. */
const USER_JSON = `jsonb_build_object('id', u.id, 'email', u.email, 'name', u.name, 'createdAt', ${iso('u."createdAt"')},
  'emailVerified', u."emailVerifiedAt" IS NOT NULL, 'mfaEnabled', u."mfaEnabled")`;

/** The API's AuditEvent of row `e` (admin/admin-schemas.ts). */
const EVENT_JSON = `jsonb_build_object('id', e.id, 'type', e.type, 'at', ${iso('e.at')}, 'userId', e."userId", 'actorId', e."actorId",
  'ip', e.ip, 'userAgent', e."userAgent", 'requestId', e."requestId", 'data', e.data)`;

const ROW_COLUMNS = `id, "eventType", status, attempts, "lastStatusCode", "lastError", "nextAttemptAt", "createdAt", "deliveredAt"`;

export class WebhookDeliveriesTable extends Table {
  /**
   * The deliveries of the audit events in CTE `source` (rows of audit_event), one per enabled
   * endpoint that wants the type: a CTE for the event's own statement. A user.deleted event
   * carries no user (nor address).
   */
  enqueueFor(source: string): Cte[] {
    return [
      {
        name: `${source}_webhooks`,
        body: `INSERT INTO webhook_delivery (id, "webhookId", "eventType", payload, "createdAt", "nextAttemptAt")
               SELECT gen_random_uuid(), w.id, e.type,
                      jsonb_build_object('type', e.type, 'timestamp', ${iso('e.at')}, 'data', jsonb_build_object('event', ${EVENT_JSON},
                        'user', CASE WHEN u.id IS NULL OR e.type = 'user.deleted' THEN NULL ELSE ${USER_JSON} END)),
                      e.at, e.at
                 FROM ${source} e JOIN webhook w ON w.enabled AND (e.type = ANY (w.events) OR '*' = ANY (w.events))
                 LEFT JOIN "user" u ON u.id = e."userId"
               RETURNING pg_notify('${WEBHOOK_QUEUED_CHANNEL}', '')`,
      },
    ];
  }

  /** A delivery of `body` (built by the caller) to one endpoint, whatever it subscribed to (webhook.test). */
  async enqueueOne(webhookId: string, eventType: string, body: Record<string, unknown>, now: Date): Promise<string> {
    const id = randomUUID();
    await this.db.query(
      `WITH queued AS (INSERT INTO webhook_delivery (id, "webhookId", "eventType", payload, "createdAt", "nextAttemptAt")
                       VALUES ($1, $2, $3, $4, $5, $5) RETURNING id)
       SELECT pg_notify('${WEBHOOK_QUEUED_CHANNEL}', '') FROM queued`,
      [id, webhookId, eventType, JSON.stringify(body), now],
    );
    return id;
  }

  async hasDue(now: Date): Promise<boolean> {
    const { rows } = await this.db.query({
      name: 'webhook-due',
      text: `SELECT EXISTS (SELECT 1 FROM webhook_delivery d JOIN webhook w ON w.id = d."webhookId" AND w.enabled
                             WHERE d.status = 'pending' AND d."nextAttemptAt" <= $1) AS due`,
      values: [now],
    });
    return rows[0]?.due === true;
  }

  /**
   * Leases the oldest due deliveries of enabled endpoints, at most `room.perKey` per endpoint
   * counting those in flight (an endpoint at its limit is not even scanned), `room.total` in all.
   */
  async claim(now: Date, leaseSeconds: number, room: Room): Promise<ClaimedDelivery[]> {
    const busy = [...room.inFlight.entries()];
    const full = busy.filter(([, n]) => n >= room.perKey).map(([id]) => id);
    const { rows } = await this.db.query<ClaimedDelivery>({
      name: 'webhook-claim',
      text: `WITH due AS (
               SELECT d.id, d."webhookId", d."nextAttemptAt" FROM webhook_delivery d JOIN webhook w ON w.id = d."webhookId" AND w.enabled
                WHERE d.status = 'pending' AND d."nextAttemptAt" <= $1 AND d."webhookId" <> ALL ($3::uuid[])
                ORDER BY d."nextAttemptAt" LIMIT $7 FOR UPDATE OF d SKIP LOCKED
             ), ranked AS (
               SELECT due.id, row_number() OVER (PARTITION BY due."webhookId" ORDER BY due."nextAttemptAt") + COALESCE(b.n, 0) AS n, due."nextAttemptAt"
                 FROM due LEFT JOIN unnest($4::uuid[], $5::int[]) AS b(id, n) ON b.id = due."webhookId"
             ), picked AS (
               SELECT id FROM ranked WHERE n <= $6 ORDER BY "nextAttemptAt" LIMIT $8
             )
             UPDATE webhook_delivery d SET attempts = d.attempts + 1, "nextAttemptAt" = $1::timestamptz + make_interval(secs => $2::float8)
               FROM picked, webhook w WHERE d.id = picked.id AND w.id = d."webhookId"
             RETURNING d.id, d."webhookId", d."eventType", d.payload::text AS body, d.attempts AS attempt, w.url,
                       w."sealedSecret", w."sealedPreviousSecret", w."previousSecretUntil"`,
      values: [now, leaseSeconds, full, busy.map(([id]) => id), busy.map(([, n]) => n), room.perKey, room.total * 4, room.total],
    });
    return rows;
  }

  /**
   * Delivered, several at once (what finished together is recorded together): each fenced by its
   * attempt, with whatever else the successes write (`alsoWrites`), in one statement. The ids recorded.
   */
  async markDelivered(
    delivered: ReadonlyArray<{ delivery: ClaimedDelivery; statusCode: number; at: Date }>,
    alsoWrites: readonly Fragment[] = [],
  ): Promise<Set<string>> {
    const statement = new Statement();
    const [ids, attempts, codes, times] = [
      delivered.map((item) => item.delivery.id),
      delivered.map((item) => item.delivery.attempt),
      delivered.map((item) => item.statusCode),
      delivered.map((item) => item.at),
    ].map((value) => statement.bind(value));
    const text = withFragments(
      statement,
      alsoWrites,
      [
        {
          name: 'delivered',
          body: `UPDATE webhook_delivery d SET status = 'delivered', "lastAttemptAt" = x.at, "deliveredAt" = x.at, "lastStatusCode" = x.code, "lastError" = NULL
                   FROM unnest(${ids}::uuid[], ${attempts}::int[], ${codes}::int[], ${times}::timestamptz[]) AS x(id, attempt, code, at)
                  WHERE d.id = x.id AND d.attempts = x.attempt AND d.status = 'pending' RETURNING d.id`,
        },
      ],
      'SELECT id FROM delivered',
    );
    const { rows } = await this.db.query<{ id: string }>({ name: namedFor(text), text, values: statement.values });
    return new Set(rows.map((row) => row.id));
  }

  async markRetry(delivery: ClaimedDelivery, now: Date, nextAttemptAt: Date, statusCode: number | null, error: string): Promise<boolean> {
    return this.record(
      `UPDATE webhook_delivery SET "lastAttemptAt" = $3, "nextAttemptAt" = $4, "lastStatusCode" = $5, "lastError" = $6
        WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [delivery.id, delivery.attempt, now, nextAttemptAt, statusCode, error],
    );
  }

  async markFailed(delivery: ClaimedDelivery, now: Date, statusCode: number | null, error: string): Promise<boolean> {
    return this.record(
      `UPDATE webhook_delivery SET status = 'failed', "lastAttemptAt" = $3, "lastStatusCode" = $4, "lastError" = $5
        WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [delivery.id, delivery.attempt, now, statusCode, error],
    );
  }

  /** Manual retry: due now again, same id (so the same webhook-id); false when no such delivery of that endpoint. */
  async retryNow(webhookId: string, deliveryId: string, now: Date): Promise<boolean> {
    const { rows } = await this.db.query(
      `WITH again AS (UPDATE webhook_delivery SET status = 'pending', "nextAttemptAt" = $3 WHERE id = $2 AND "webhookId" = $1 RETURNING id)
       SELECT pg_notify('${WEBHOOK_QUEUED_CHANNEL}', '') FROM again`,
      [webhookId, deliveryId, now],
    );
    return rows.length > 0;
  }

  /** Newest first, `limit` of them, after the keyset position `before`. */
  async list(webhookId: string, query: DeliveryQuery): Promise<DeliveryRow[]> {
    const { rows } = await this.db.query<DeliveryRow>(
      `SELECT ${ROW_COLUMNS} FROM webhook_delivery
        WHERE "webhookId" = $1 AND ($2::text IS NULL OR status = $2::text)
          AND ($3::timestamptz IS NULL OR ("createdAt", id) < ($3::timestamptz, $4::uuid))
        ORDER BY "createdAt" DESC, id DESC LIMIT $5`,
      [webhookId, query.status ?? null, query.before?.at ?? null, query.before?.id ?? null, query.limit],
    );
    return rows;
  }

  /** Metrics: deliveries waiting (of enabled endpoints), and since when the oldest. */
  async pendingDepth(): Promise<{ depth: number; oldest: Date | null }> {
    const { rows } = await this.db.query<{ depth: number; oldest: Date | null }>(
      `SELECT count(*)::int AS depth, min(d."createdAt") AS oldest FROM webhook_delivery d JOIN webhook w ON w.id = d."webhookId" AND w.enabled
        WHERE d.status = 'pending'`,
    );
    return rows[0] ?? { depth: 0, oldest: null };
  }

  /** Erasure: the bodies about `userId` lose the user (its address) and the request's ip and user agent (as the audit log does). */
  async forgetUser(userId: string): Promise<void> {
    await this.db.query(
      `UPDATE webhook_delivery
          SET payload = jsonb_set(jsonb_set(jsonb_set(payload, '{data,user}', 'null'::jsonb), '{data,event,ip}', 'null'::jsonb), '{data,event,userAgent}', 'null'::jsonb)
        WHERE payload #>> '{data,user,id}' = $1::text OR payload #>> '{data,event,userId}' = $1::text`,
      [userId],
    );
  }

  private async record(text: string, values: unknown[]): Promise<boolean> {
    const { rowCount } = await this.db.query(text, values);
    return (rowCount ?? 0) > 0;
  }
}
