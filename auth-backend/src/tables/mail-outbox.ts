/**
 * Table mail_outbox: every statement on it. A message is queued in the same transaction as the
 * token or change it announces, so a committed reset always has its mail and a rolled-back one
 * never does. Queuing also NOTIFYs `MAIL_QUEUED_CHANNEL`: PostgreSQL delivers that at commit, and
 * only then, to every replica's delivery worker (mail/delivery-worker.ts), which wakes at once.
 *
 * Delivery is by lease: claim() takes the oldest due message by moving its next attempt a lease
 * ahead (SKIP LOCKED, so two senders never take the same one) and counting the attempt; the
 * sender talks SMTP with no transaction or connection held, then records the outcome, fenced by
 * the attempt number (an outcome whose lease ran out and was taken over changes nothing). A
 * sender that dies mid-send leaves the message to be sent again when its lease ends (at least once).
 */
import { randomUUID } from 'node:crypto';
import type { Cte, Statement } from '../db/statement';
import { Table } from './table';

export const MAIL_QUEUED_CHANNEL = 'mail_outbox_queued';

export type MailKind =
  | 'verify-email'
  | 'change-email'
  | 'email-change-notice'
  | 'reset-password'
  | 'password-changed'
  | 'second-factor-enabled'
  | 'second-factor-disabled'
  | 'passkey-added'
  | 'passkey-removed'
  // v4, security notifications (notifications/).
  | 'new-sign-in'
  | 'password-changed-notice'
  | 'email-changed'
  | 'login-failure-cap';

/** A rendered message (mail/templates.ts), not yet addressed. */
export interface MailContent {
  kind: MailKind;
  subject: string;
  text: string;
}

export interface ClaimedMail {
  id: string;
  kind: MailKind;
  recipient: string;
  subject: string;
  text: string;
  /** This attempt's number (1 for the first); it fences the outcome. */
  attempt: number;
}

export interface OutboxRow {
  id: string;
  kind: string;
  attempts: number;
  createdAt: Date;
  nextAttemptAt: Date;
  lastAttemptAt: Date | null;
  lastError: string | null;
}

export interface OutboxSummary {
  counts: Array<{ status: string; count: number; oldest: Date }>;
  retrying: OutboxRow[];
  failed: OutboxRow[];
}

const ROW_COLUMNS = `id, kind, attempts, "createdAt", "nextAttemptAt", "lastAttemptAt", "lastError"`;

/** Made on the service's pool, or on one client (the operators' command). */
export class MailOutboxTable extends Table {
  /**
   * Queues `mail` to `recipient` on the caller's transaction. A null recipient queues nothing with
   * the same statement (the forgot-password answer must not tell the two cases apart by timing).
   */
  async enqueue(recipient: string | null, mail: MailContent, now: Date): Promise<void> {
    await this.db.query({
      name: 'mail-enqueue',
      text: `WITH queued AS (
               INSERT INTO mail_outbox (id, kind, recipient, subject, "textBody", "createdAt", "nextAttemptAt")
               SELECT $1, $2, $3::text, $4, $5, $6, $6 WHERE $3::text IS NOT NULL RETURNING id)
             SELECT pg_notify('${MAIL_QUEUED_CHANNEL}', id::text) FROM queued`,
      values: [randomUUID(), mail.kind, recipient, mail.subject, mail.text, now],
    });
  }

  /**
   * A CTE that queues `mail` to the current address of account `userId` when `condition` (SQL of
   * the same statement) holds: a notice written by the statement of the change it announces.
   */
  enqueueingToAccount(statement: Statement, userId: string, mail: MailContent, now: Date, condition = 'true'): Cte {
    const [id, kind, user, subject, text, at] = [randomUUID(), mail.kind, userId, mail.subject, mail.text, now].map((value) => statement.bind(value));
    return {
      name: `mail_${mail.kind.replace(/-/g, '_')}`,
      body: `INSERT INTO mail_outbox (id, kind, recipient, subject, "textBody", "createdAt", "nextAttemptAt")
             SELECT ${id}::uuid, ${kind}, u.email, ${subject}, ${text}, ${at}::timestamptz, ${at}::timestamptz FROM "user" u
              WHERE u.id = ${user}::uuid AND ${condition}
             RETURNING pg_notify('${MAIL_QUEUED_CHANNEL}', id::text)`,
    };
  }

  /** Queues `mail` to the account whose (normalised) address is `email`, if there is one. */
  async enqueueToAccount(email: string, mail: MailContent, now: Date): Promise<void> {
    await this.db.query(
      `WITH queued AS (
         INSERT INTO mail_outbox (id, kind, recipient, subject, "textBody", "createdAt", "nextAttemptAt")
         SELECT $1, $2, u.email, $4, $5, $6, $6 FROM "user" u WHERE u.email = $3 RETURNING id)
       SELECT pg_notify('${MAIL_QUEUED_CHANNEL}', id::text) FROM queued`,
      [randomUUID(), mail.kind, email, mail.subject, mail.text, now],
    );
  }

  /** Whether any message is due: one cheap indexed read, so an idle poll claims nothing. */
  async hasDue(now: Date): Promise<boolean> {
    const { rows } = await this.db.query({
      name: 'mail-due',
      text: `SELECT EXISTS (SELECT 1 FROM mail_outbox WHERE status = 'pending' AND "nextAttemptAt" <= $1) AS due`,
      values: [now],
    });
    return rows[0]?.due === true;
  }

  /** Leases the oldest due message for `leaseSeconds` and counts the attempt; undefined when none is due. */
  async claim(now: Date, leaseSeconds: number): Promise<ClaimedMail | undefined> {
    const { rows } = await this.db.query<ClaimedMail>({
      name: 'mail-claim',
      text: `UPDATE mail_outbox SET attempts = attempts + 1, "nextAttemptAt" = $1::timestamptz + make_interval(secs => $2::float8)
              WHERE id = (SELECT id FROM mail_outbox WHERE status = 'pending' AND "nextAttemptAt" <= $1
                           ORDER BY "nextAttemptAt" LIMIT 1 FOR UPDATE SKIP LOCKED)
              RETURNING id, kind, recipient, subject, "textBody" AS text, attempts AS attempt`,
      values: [now, leaseSeconds],
    });
    return rows[0];
  }

  /** The body is cleared once a message is final: it may carry a token, which is otherwise stored only hashed. */
  async markSent(mail: ClaimedMail, now: Date): Promise<boolean> {
    return this.record(
      `UPDATE mail_outbox SET status = 'sent', "lastAttemptAt" = $3, "sentAt" = $3, "lastError" = NULL, "textBody" = NULL
        WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [mail.id, mail.attempt, now],
    );
  }

  async markRetry(mail: ClaimedMail, now: Date, nextAttemptAt: Date, error: string): Promise<boolean> {
    return this.record(
      `UPDATE mail_outbox SET "lastAttemptAt" = $3, "nextAttemptAt" = $4, "lastError" = $5 WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [mail.id, mail.attempt, now, nextAttemptAt, error],
    );
  }

  async markFailed(mail: ClaimedMail, now: Date, error: string): Promise<boolean> {
    return this.record(
      `UPDATE mail_outbox SET status = 'failed', "lastAttemptAt" = $3, "lastError" = $4, "textBody" = NULL
        WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [mail.id, mail.attempt, now, error],
    );
  }

  /** For operators (npm run mail:status): counts per status, what is retrying, what failed for good. Never a body. */
  async summary(): Promise<OutboxSummary> {
    const counts = await this.db.query<{ status: string; count: number; oldest: Date }>(
      `SELECT status, count(*)::int AS count, min("createdAt") AS oldest FROM mail_outbox GROUP BY status ORDER BY status`,
    );
    const retrying = await this.db.query<OutboxRow>(
      `SELECT ${ROW_COLUMNS} FROM mail_outbox WHERE status = 'pending' AND "lastError" IS NOT NULL ORDER BY "createdAt" LIMIT 20`,
    );
    const failed = await this.db.query<OutboxRow>(`SELECT ${ROW_COLUMNS} FROM mail_outbox WHERE status = 'failed' ORDER BY "lastAttemptAt" DESC LIMIT 20`);
    return { counts: counts.rows, retrying: retrying.rows, failed: failed.rows };
  }

  private async record(text: string, values: unknown[]): Promise<boolean> {
    const { rowCount } = await this.db.query(text, values);
    return (rowCount ?? 0) > 0;
  }

  /** Erasure: every message addressed to one of `recipients` (sent ones too: the row still holds the address). */
  async deleteTo(recipients: string[]): Promise<number> {
    const { rowCount } = await this.db.query(`DELETE FROM mail_outbox WHERE recipient = ANY($1::text[])`, [recipients]);
    return rowCount ?? 0;
  }

  /** Metrics: how many messages wait, and since when the oldest (null when none). */
  async pendingDepth(): Promise<{ depth: number; oldest: Date | null }> {
    const { rows } = await this.db.query<{ depth: number; oldest: Date | null }>(
      `SELECT count(*)::int AS depth, min("createdAt") AS oldest FROM mail_outbox WHERE status = 'pending'`,
    );
    return rows[0] ?? { depth: 0, oldest: null };
  }
}
