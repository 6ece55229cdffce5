/**
 * `npm run db:migrate [-- --name add_something]`: creates a migration from the difference
 * between prisma/migrations and prisma/schema.prisma, then applies it.
 *
 * This is `prisma migrate dev` done by hand: with the JavaScript schema engine, Prisma 6.19's
 * `migrate dev` fails on any schema change ("PostgreSQL shadow DB must be provided through an
 * external factory", docs/decisions/0002-adapter-pg-fixes.md). `migrate diff --from-migrations`
 * computes the same SQL through a throw-away shadow database, and `migrate deploy` applies it.
 * Review the SQL before committing it: that is where data-preserving steps go.
 */
import fs from 'node:fs';
import path from 'node:path';
import { migrationsDir } from '../paths';
import { runPrismaCliSync } from '../migrations/prisma-cli';
import { becomeCheckoutOwner } from '../ops/run-as-owner';
import { findDevDatabase } from './dev-database';
import { checkMigrationSql, formatFinding } from '../migrations/migration-safety';

function migrationName(argv: string[]): string {
  const index = argv.findIndex((arg) => arg === '--name' || arg === '-n');
  const raw = index >= 0 ? argv[index + 1] : argv.find((arg) => arg.startsWith('--name='))?.slice('--name='.length);
  const slug =
    (raw ?? 'migration')
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'migration';
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  return `${stamp}_${slug}`;
}

async function createMigration(databaseUrl: string): Promise<number> {
  const prisma = (args: string[], capture = false) => runPrismaCliSync(args, { databaseUrl, capture });
  console.log('db:migrate: applying existing migrations first (prisma migrate deploy)');
  if (prisma(['migrate', 'deploy']).code !== 0) return 1;

  const diff = prisma(
    ['migrate', 'diff', '--from-migrations', 'prisma/migrations', '--to-schema-datamodel', 'prisma/schema.prisma', '--script', '--exit-code'],
    true,
  );
  if (diff.code === 0) {
    console.log('db:migrate: prisma/schema.prisma matches prisma/migrations: no migration needed');
    return 0;
  }
  if (diff.code !== 2) return diff.code;

  const name = migrationName(process.argv.slice(2));
  const folder = path.join(migrationsDir(), name);
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'migration.sql'), diff.output);
  console.log(`db:migrate: wrote prisma/migrations/${name}/migration.sql:\n\n${diff.output}`);
  // The same check as CI and the entrypoint (MIGRATION_SAFETY=strict): say now what they will refuse.
  const findings = await checkMigrationSql(`prisma/migrations/${name}/migration.sql`, diff.output);
  for (const finding of findings) console.error(`db:migrate: not safe for a rolling update: ${formatFinding(finding)}`);
  if (findings.length > 0)
    console.error(
      'db:migrate: CI (npm run db:check-migrations) and the stack refuse this migration until it is split in two releases or marked `-- contract: <why>`.',
    );
  if (prisma(['migrate', 'deploy']).code !== 0) return 1;
  console.log(`db:migrate: applied ${name}. Review and commit prisma/migrations/${name}.`);
  return 0;
}

async function main(): Promise<number> {
  // The new migration is written into the checkout (bind-mounted in the container): as its owner.
  becomeCheckoutOwner();
  const database = await findDevDatabase('db:migrate');
  try {
    return await createMigration(database.url);
  } finally {
    await database.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`db:migrate: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
