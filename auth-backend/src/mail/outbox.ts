/**
 * The mail outbox (table mail_outbox). A message is queued in the same transaction as the token
 * or change it announces, so a committed reset always has its mail and a rolled-back one never
 * does; the delivery worker sends it later (delivery-worker.ts).
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Queryable } from '../db/transaction';

export type MailKind = 'verify-email' | 'change-email' | 'email-change-notice' | 'reset-password' | 'password-changed';

/** A rendered message (templates.ts), not yet addressed. */
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
  /** Attempts made before this one. */
  attempts: number;
}

/** Queues `mail` to `recipient`; run it on the client of the transaction that writes what the mail announces. */
export async function enqueueMail(db: Queryable, recipient: string, mail: MailContent, now: Date): Promise<string> {
  const id = randomUUID();
  await db.query({
    name: 'mail-enqueue',
    text: `INSERT INTO mail_outbox (id, kind, recipient, subject, "textBody", "createdAt", "nextAttemptAt") VALUES ($1, $2, $3, $4, $5, $6, $6)`,
    values: [id, mail.kind, recipient, mail.subject, mail.text, now],
  });
  return id;
}

/** Whether any message is due: one cheap indexed read, so an idle poll opens no transaction. */
export async function hasDueMail(pool: pg.Pool, now: Date): Promise<boolean> {
  const { rows } = await pool.query({
    name: 'mail-due',
    text: `SELECT EXISTS (SELECT 1 FROM mail_outbox WHERE status = 'pending' AND "nextAttemptAt" <= $1) AS due`,
    values: [now],
  });
  return rows[0]?.due === true;
}

/**
 * Locks the oldest due message for the caller's transaction. SKIP LOCKED: a message another
 * replica is sending right now is invisible here, so no two senders ever hold the same one.
 */
export async function claimDueMail(client: pg.ClientBase, now: Date): Promise<ClaimedMail | undefined> {
  const { rows } = await client.query<ClaimedMail>({
    name: 'mail-claim',
    text: `SELECT id, kind, recipient, subject, "textBody" AS text, attempts FROM mail_outbox
            WHERE status = 'pending' AND "nextAttemptAt" <= $1
            ORDER BY "nextAttemptAt" LIMIT 1
              FOR UPDATE SKIP LOCKED`,
    values: [now],
  });
  return rows[0];
}

/** The body is cleared once a message is final: it may carry a token, which is otherwise stored only hashed. */
export async function markSent(client: pg.ClientBase, id: string, attempts: number, now: Date): Promise<void> {
  await client.query(
    `UPDATE mail_outbox SET status = 'sent', attempts = $2, "lastAttemptAt" = $3, "sentAt" = $3, "lastError" = NULL, "textBody" = NULL WHERE id = $1`,
    [id, attempts, now],
  );
}

export async function markRetry(client: pg.ClientBase, id: string, attempts: number, now: Date, nextAttemptAt: Date, error: string): Promise<void> {
  await client.query(`UPDATE mail_outbox SET attempts = $2, "lastAttemptAt" = $3, "nextAttemptAt" = $4, "lastError" = $5 WHERE id = $1`, [
    id,
    attempts,
    now,
    nextAttemptAt,
    error,
  ]);
}

export async function markFailed(client: pg.ClientBase, id: string, attempts: number, now: Date, error: string): Promise<void> {
  await client.query(`UPDATE mail_outbox SET status = 'failed', attempts = $2, "lastAttemptAt" = $3, "lastError" = $4, "textBody" = NULL WHERE id = $1`, [
    id,
    attempts,
    now,
    error,
  ]);
}
