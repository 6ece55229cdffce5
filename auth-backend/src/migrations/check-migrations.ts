/**
 * `npm run db:check-migrations [-- FILE_OR_FOLDER...]`: refuses migrations that break the version
 * still running during a rolling update (src/db/migration-safety.ts). Without arguments it reads the
 * migrations of prisma/migrations not yet applied to DATABASE_URL's database, or all of them when no
 * database answers (CI, a laptop). Exit 0: all safe; 1: something refused (file, line, statement,
 * advice on stderr); 2: could not check.
 */
import fs from 'node:fs';
import path from 'node:path';
import { resolveFileSecrets } from '../config/file-secrets';
import { migrationsDir } from '../paths';
import { withClient } from '../db/connection';
import { listLocalMigrations, readMigrationState } from './migration-state';
import { checkMigrationFolders, checkMigrationSql, formatFinding, type Finding } from './migration-safety';

async function pendingOrAll(dir: string): Promise<{ names: string[]; source: string }> {
  const local = listLocalMigrations(dir);
  const problems: string[] = [];
  const databaseUrl = resolveFileSecrets(process.env, problems).DATABASE_URL;
  if (!databaseUrl || problems.length > 0) return { names: local, source: 'no DATABASE_URL: checking every migration' };
  try {
    const state = await withTimeout(
      withClient(databaseUrl, (client) => readMigrationState(client, local)),
      5000,
    );
    return { names: state.pending, source: `${state.pending.length} of ${local.length} migration(s) not yet applied to the database` };
  } catch (error) {
    return { names: local, source: `database not reachable (${error instanceof Error ? error.message : String(error)}): checking every migration` };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms / 1000}s`)), ms).unref())]);
}

async function checkPaths(paths: string[]): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const given of paths) {
    const file = fs.statSync(given).isDirectory() ? path.join(given, 'migration.sql') : given;
    findings.push(...(await checkMigrationSql(file, fs.readFileSync(file, 'utf8'))));
  }
  return findings;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(
      'usage: npm run db:check-migrations [-- FILE_OR_FOLDER...]\n' +
        'Refuses statements that break the running version during a rolling update (drop or rename of a table or column,\n' +
        'a column type change, SET NOT NULL or a new NOT NULL column without default, a unique index without CONCURRENTLY\n' +
        'on an existing table). A statement preceded by `-- contract: <why>` passes. Without arguments: the migrations of\n' +
        'prisma/migrations not yet applied to DATABASE_URL, or all of them when no database answers.',
    );
    return 0;
  }
  let findings: Finding[];
  let checked: string;
  if (argv.length > 0) {
    findings = await checkPaths(argv);
    checked = `${argv.length} file(s)`;
  } else {
    const dir = migrationsDir();
    const { names, source } = await pendingOrAll(dir);
    console.log(`db:check-migrations: ${source}`);
    findings = await checkMigrationFolders(dir, names);
    checked = `${names.length} migration(s)`;
  }
  for (const finding of findings) console.error(formatFinding(finding));
  if (findings.length > 0) {
    console.error(
      `db:check-migrations: ${findings.length} statement(s) would break the version still running during a rolling update (docs/operations.md, "Two-release schema changes")`,
    );
    return 1;
  }
  console.log(`db:check-migrations: ${checked} checked: safe for a rolling update`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`db:check-migrations: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
