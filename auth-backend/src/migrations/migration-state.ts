import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';

export interface MigrationState {
  /** Migration folders on disk, in the order Prisma applies them. */
  local: string[];
  /** Whether `_prisma_migrations` exists yet. */
  hasHistory: boolean;
  applied: string[];
  /** Started and never finished nor rolled back: Prisma's P3009 state. */
  failed: string[];
  /** Those of `failed` with no error logged: their process died while applying them. */
  interrupted: string[];
  /** On disk but not applied. */
  pending: string[];
}

/** Folders of `dir` that hold a migration.sql, sorted by name as Prisma does. */
export function listLocalMigrations(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort();
}

type Queryable = Pick<pg.Client | pg.Pool, 'query'>;

/** Compares the folders on disk with `_prisma_migrations` (in the connection's current schema). */
export async function readMigrationState(db: Queryable, local: string[]): Promise<MigrationState> {
  const { rows: exists } = await db.query<{ present: boolean }>(
    `SELECT to_regclass(quote_ident(current_schema()) || '._prisma_migrations') IS NOT NULL AS present`,
  );
  if (!exists[0]?.present) return { local, hasHistory: false, applied: [], failed: [], interrupted: [], pending: [...local] };
  const { rows } = await db.query<{ migration_name: string; finished: boolean; rolled_back: boolean; logged: boolean }>(
    `SELECT migration_name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back, logs IS NOT NULL AS logged
       FROM _prisma_migrations`,
  );
  const applied = rows.filter((row) => row.finished && !row.rolled_back).map((row) => row.migration_name);
  const failedRows = rows.filter((row) => !row.finished && !row.rolled_back);
  const failed = failedRows.map((row) => row.migration_name);
  const interrupted = failedRows.filter((row) => !row.logged).map((row) => row.migration_name);
  const appliedSet = new Set(applied);
  return { local, hasHistory: true, applied, failed, interrupted, pending: local.filter((name) => !appliedSet.has(name)) };
}

/** Prisma's own migration lock; held while any `migrate deploy` is applying migrations. */
export const PRISMA_MIGRATE_LOCK = 72707369;

/**
 * Whether some process holds Prisma's migration lock on this database, i.e. is applying
 * migrations to it right now. Advisory locks belong to a database: another database of the same
 * server being migrated at the same moment is no reason to wait.
 */
export async function prismaIsMigrating(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ busy: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_locks
                     WHERE locktype = 'advisory' AND classid = 0 AND objid = $1 AND granted
                       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS busy`,
    [PRISMA_MIGRATE_LOCK],
  );
  return rows[0]?.busy ?? false;
}

/**
 * Marks an unfinished migration rolled back in Prisma's `_prisma_migrations` (what `prisma migrate
 * resolve --rolled-back` would do; it cannot run in this mode, docs/decisions/0001-prisma-6-js-engine.md), so
 * that the next deploy applies it anew. `interruptedOnly`: only one whose process died (no logs),
 * never one that failed with an error. The one statement of this project on that table.
 */
export async function markRolledBack(db: Queryable, name: string, options: { interruptedOnly: boolean }): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE _prisma_migrations SET rolled_back_at = now()
      WHERE migration_name = $1 AND finished_at IS NULL AND rolled_back_at IS NULL AND (NOT $2::boolean OR logs IS NULL)`,
    [name, options.interruptedOnly],
  );
  return (rowCount ?? 0) > 0;
}
