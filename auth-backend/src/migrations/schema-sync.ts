/**
 * Brings the database schema up to date before the API boots: `prisma migrate deploy` when
 * prisma/migrations holds migrations, else `prisma db push` without --accept-data-loss.
 * Call it while holding the migration lock (see advisory-lock.ts).
 */
import { withClient } from '../db/connection';
import { listLocalMigrations, markRolledBack, prismaIsMigrating, readMigrationState, PRISMA_MIGRATE_LOCK, type MigrationState } from './migration-state';
import { runPrismaCli, type CliResult } from './prisma-cli';
import { migrationsDir } from '../paths';
import { EXIT, StartupError } from '../startup-error';
import type { Logger } from '../logger';

export type SyncOutcome = { path: 'deploy'; applied: string[] } | { path: 'push'; changed: boolean };

export interface SyncOptions {
  databaseUrl: string;
  logger: Logger;
  /** Called once, just before the schema is about to change (pre-migration backup). */
  beforeChange?: (reason: string) => Promise<void>;
}

export async function syncSchema(options: SyncOptions): Promise<SyncOutcome> {
  const local = listLocalMigrations(migrationsDir());
  if (local.length > 0) return deploy(local, options);
  return push(options);
}

const readState = (databaseUrl: string, local: string[]): Promise<MigrationState> => withClient(databaseUrl, (client) => readMigrationState(client, local));

/**
 * A migration recorded as started, with no error logged, was interrupted: its process died.
 * It ran as one transaction (pg-adapter.ts), and PostgreSQL aborts it when the connection dies
 * (client_connection_check_interval, set by prisma.config.ts), so it changed nothing. If no
 * process is migrating now (we hold our lock, and Prisma's lock is free), it is safe to mark it
 * rolled back, exactly as `prisma migrate resolve --rolled-back` would, and apply it again.
 */
async function recoverInterrupted(databaseUrl: string, state: MigrationState, logger: Logger): Promise<boolean> {
  if (state.interrupted.length === 0) return false;
  return withClient(databaseUrl, async (client) => {
    if (await prismaIsMigrating(client)) {
      throw new StartupError(
        `migration ${state.interrupted[0]} was interrupted and another process still holds Prisma's migration lock (${PRISMA_MIGRATE_LOCK}): ` +
          "a migration may still be running. Wait for it to end (SELECT pid, query FROM pg_stat_activity WHERE state <> 'idle'), then start again.",
        EXIT.migrationLock,
      );
    }
    for (const name of state.interrupted) {
      logger.warn(
        { migration: name },
        `migration ${name} was interrupted (its process died); it ran in one transaction, so it changed nothing: marking it rolled back and applying it again`,
      );
      await markRolledBack(client, name, { interruptedOnly: true });
    }
    return true;
  });
}

async function deploy(local: string[], { databaseUrl, logger, beforeChange }: SyncOptions): Promise<SyncOutcome> {
  let before = await readState(databaseUrl, local);
  if (await recoverInterrupted(databaseUrl, before, logger)) before = await readState(databaseUrl, local);
  const failed = before.failed[0];
  if (failed) throw failedMigrationError(failed);
  if (before.pending.length === 0) {
    logger.info(
      { path: 'deploy', applied: before.applied.length },
      `schema: ${local.length} migration(s) in prisma/migrations, none pending: nothing to apply`,
    );
    return { path: 'deploy', applied: [] };
  }
  logger.info(
    { path: 'deploy', pending: before.pending },
    `schema: prisma/migrations holds ${local.length} migration(s), ${before.pending.length} pending: running prisma migrate deploy`,
  );
  await beforeChange?.(`${before.pending.length} pending migration(s)`);
  const result = await runPrismaCli(['migrate', 'deploy'], { databaseUrl, logger });
  if (result.code !== 0) throw deployError(result, await readState(databaseUrl, local).catch(() => undefined));
  const after = await readState(databaseUrl, local);
  const applied = before.pending.filter((name) => after.applied.includes(name));
  logger.info({ path: 'deploy', applied }, `schema: applied ${applied.length} migration(s)`);
  return { path: 'deploy', applied };
}

async function push({ databaseUrl, logger, beforeChange }: SyncOptions): Promise<SyncOutcome> {
  logger.info({ path: 'push' }, 'schema: prisma/migrations holds no migration: running prisma db push (never with --accept-data-loss)');
  await beforeChange?.('db push');
  const result = await runPrismaCli(['db', 'push', '--skip-generate'], { databaseUrl, logger });
  if (result.code !== 0) throw pushError(result);
  const changed = !/already in sync/i.test(result.output);
  logger.info({ path: 'push', changed }, changed ? 'schema: pushed changes to the database' : 'schema: database already in sync');
  return { path: 'push', changed };
}

/**
 * Under Docker Compose the backend is in its restart loop and cannot be exec'd into, so the
 * recovery runs in a one-off container of the same service (`docker-compose run --rm backend`).
 */
function failedMigrationError(name: string): StartupError {
  return new StartupError(
    `migration ${name} is recorded as failed in _prisma_migrations (Prisma P3009), so no migration can be applied. ` +
      'Each migration runs as one transaction, so a failed one changed nothing: fix its migration.sql, then mark it rolled back with ' +
      `\`npm run db:resolve -- --rolled-back ${name}\` (Docker Compose: \`docker-compose run --rm backend npm run db:resolve -- --rolled-back ${name}\`) ` +
      `and start again (or, if you completed it by hand, mark it applied: \`npm run db:resolve -- --applied ${name}\`).`,
    EXIT.migrationFailed,
  );
}

function deployError(result: CliResult, after: MigrationState | undefined): StartupError {
  const failed = after?.failed[0] ?? /Migration name: (\S+)/.exec(result.output)?.[1];
  if (failed) {
    const cause = /Database error:\s*([\s\S]*?)(?:\n\s*\n|$)/.exec(result.output)?.[1]?.trim().split('\n')[0];
    const error = failedMigrationError(failed);
    return new StartupError(`prisma migrate deploy failed${cause ? ` (${cause})` : ''}: ${error.message}`, EXIT.migrationFailed);
  }
  if (/P3005/.test(result.output)) {
    const first = after?.local[0] ?? '<first migration>';
    return new StartupError(
      'prisma migrate deploy refused (P3005): the database already has tables but no migration history ' +
        '(it was probably created with db push). Back it up, check that its schema matches the first migration, then ' +
        `baseline it with \`npx prisma migrate resolve --applied ${first}\` and start again.`,
      EXIT.migrationFailed,
    );
  }
  return new StartupError(`prisma migrate deploy failed (exit ${result.code}): ${lastLines(result.output)}`, EXIT.migrationFailed);
}

function pushError(result: CliResult): StartupError {
  if (/data loss/i.test(result.output)) {
    const warnings = result.output
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.startsWith('•') || line.startsWith('- '))
      .join(' ');
    return new StartupError(
      `prisma db push stopped: applying the schema would lose data${warnings ? ` (${warnings})` : ''}. Nothing was changed. ` +
        'Never run db push with --accept-data-loss on real data: create a migration that keeps the data instead ' +
        '(`npm run db:migrate`, edit the SQL to copy or convert the data, commit prisma/migrations), then start again.',
      EXIT.dataLoss,
    );
  }
  return new StartupError(`prisma db push failed (exit ${result.code}): ${lastLines(result.output)}`, EXIT.migrationFailed);
}

function lastLines(output: string, count = 6): string {
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-count)
    .join(' | ');
}
