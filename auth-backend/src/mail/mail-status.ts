/**
 * `npm run mail:status`: the delivery state of the outbox for operators (docs/operations.md,
 * "Mail delivery"): counts per status, messages still waiting after failed attempts, and the
 * latest messages given up. Never prints a message body (it may carry a token).
 */
import { withClient } from '../db/connection';
import { MailOutboxTable, type OutboxRow } from '../tables/mail-outbox';

const line = (row: OutboxRow, when: string) => `  ${row.id}  ${row.kind}  attempts=${row.attempts}  ${when}  ${row.lastError ?? ''}`.trimEnd();

async function main(): Promise<number> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    process.stderr.write('mail:status: DATABASE_URL is not set\n');
    return 1;
  }
  return withClient(databaseUrl, async (client) => {
    const { counts, retrying, failed } = await new MailOutboxTable(client).summary();
    const by = new Map(counts.map((row) => [row.status, row]));
    for (const status of ['pending', 'sent', 'failed']) {
      const row = by.get(status);
      process.stdout.write(`${status}: ${row?.count ?? 0}${status === 'pending' && row ? ` (oldest queued ${row.oldest.toISOString()})` : ''}\n`);
    }
    if (retrying.length > 0) {
      process.stdout.write('pending after failed attempts (oldest first, at most 20):\n');
      for (const row of retrying) process.stdout.write(`${line(row, `next attempt ${row.nextAttemptAt.toISOString()}`)}\n`);
    }
    if (failed.length > 0) {
      process.stdout.write('failed for good (newest first, at most 20):\n');
      for (const row of failed) process.stdout.write(`${line(row, `last attempt ${row.lastAttemptAt?.toISOString() ?? '-'}`)}\n`);
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
