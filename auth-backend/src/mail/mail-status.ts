/**
 * `npm run mail:status`: the delivery state of the outbox for operators (docs/operations.md,
 * "Mail delivery"): counts per status, messages still waiting after failed attempts, and the
 * latest messages given up. Never prints a message body (it may carry a token).
 */
import { withClient } from '../db/connection';

interface Row {
  id: string;
  kind: string;
  attempts: number;
  createdAt: Date;
  nextAttemptAt: Date;
  lastAttemptAt: Date | null;
  lastError: string | null;
}

const line = (row: Row, when: string) => `  ${row.id}  ${row.kind}  attempts=${row.attempts}  ${when}  ${row.lastError ?? ''}`.trimEnd();

async function main(): Promise<number> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    process.stderr.write('mail:status: DATABASE_URL is not set\n');
    return 1;
  }
  return withClient(databaseUrl, async (client) => {
    const counts = await client.query<{ status: string; count: number; oldest: Date }>(
      `SELECT status, count(*)::int AS count, min("createdAt") AS oldest FROM mail_outbox GROUP BY status ORDER BY status`,
    );
    const by = new Map(counts.rows.map((row) => [row.status, row]));
    for (const status of ['pending', 'sent', 'failed']) {
      const row = by.get(status);
      process.stdout.write(`${status}: ${row?.count ?? 0}${status === 'pending' && row ? ` (oldest queued ${row.oldest.toISOString()})` : ''}\n`);
    }
    const columns = `id, kind, attempts, "createdAt", "nextAttemptAt", "lastAttemptAt", "lastError"`;
    const retrying = await client.query<Row>(`SELECT ${columns} FROM mail_outbox WHERE status = 'pending' AND attempts > 0 ORDER BY "createdAt" LIMIT 20`);
    if (retrying.rows.length > 0) {
      process.stdout.write('pending after failed attempts (oldest first, at most 20):\n');
      for (const row of retrying.rows) process.stdout.write(`${line(row, `next attempt ${row.nextAttemptAt.toISOString()}`)}\n`);
    }
    const failed = await client.query<Row>(`SELECT ${columns} FROM mail_outbox WHERE status = 'failed' ORDER BY "lastAttemptAt" DESC LIMIT 20`);
    if (failed.rows.length > 0) {
      process.stdout.write('failed for good (newest first, at most 20):\n');
      for (const row of failed.rows) process.stdout.write(`${line(row, `last attempt ${row.lastAttemptAt?.toISOString() ?? '-'}`)}\n`);
    }
    return 0;
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`mail:status failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
