/**
 * The entrypoint's second look at what it is about to apply (MIGRATION_SAFETY): the pending
 * migrations go through db:check-migrations' rules before `migrate deploy`. `strict` refuses to
 * start (the replicas still running keep serving, and a rolling update rolls back), `warn` logs and
 * applies, `off` skips the check.
 */
import path from 'node:path';
import { withClient } from '../db/connection';
import { listLocalMigrations, readMigrationState } from './migration-state';
import { checkMigrationFolders, formatFinding } from './migration-safety';
import { appRoot, migrationsDir } from '../paths';
import { EXIT, StartupError } from '../startup-error';
import type { Logger } from '../logger';

export async function checkPendingMigrations(databaseUrl: string, mode: 'strict' | 'warn' | 'off', logger: Logger): Promise<void> {
  if (mode === 'off') return;
  const dir = migrationsDir();
  const local = listLocalMigrations(dir);
  if (local.length === 0) return;
  const { pending } = await withClient(databaseUrl, (client) => readMigrationState(client, local));
  if (pending.length === 0) return;
  const findings = [];
  for (const name of pending) {
    try {
      findings.push(...(await checkMigrationFolders(dir, [name], appRoot())));
    } catch (error) {
      // SQL that PostgreSQL's parser refuses fails in `migrate deploy` too, which reports it (exit code 4).
      logger.warn({ migration: name }, `migration safety: ${error instanceof Error ? error.message : String(error)}: left to prisma migrate deploy`);
    }
  }
  if (findings.length === 0) {
    logger.info({ pending: pending.length }, 'migration safety: the pending migration(s) are safe for a rolling update');
    return;
  }
  const report = findings.map(formatFinding).join('\n');
  if (mode === 'warn') {
    logger.warn({ findings: findings.length }, `migration safety (MIGRATION_SAFETY=warn): applying anyway:\n${report}`);
    return;
  }
  const first = findings[0]!;
  throw new StartupError(
    `migration safety (MIGRATION_SAFETY=strict): ${path.basename(path.dirname(first.file))} would break the version still running: ` +
      `${first.file}:${first.line}: ${first.problem} (${first.statement}). ${first.advice} ` +
      `${findings.length > 1 ? `(${findings.length - 1} more; npm run db:check-migrations lists them) ` : ''}` +
      'Mark a deliberate contract step with `-- contract: <why>`, or set MIGRATION_SAFETY=warn for this start.',
    EXIT.unsafeMigration,
  );
}
