/**
 * `npm run db:resolve -- --rolled-back NAME | --applied NAME`: records how a failed migration
 * ended, so that the next start can go on (docs/operations.md, "A migration failed").
 *
 * `prisma migrate resolve --rolled-back` cannot run with Prisma 6.19's JavaScript schema engine
 * ("Could not find schema-engine binary"), so --rolled-back is done here: under our migration lock,
 * while no `migrate deploy` holds Prisma's, the failed row of _prisma_migrations gets its
 * rolled_back_at, exactly what Prisma's command writes. --applied is Prisma's own command, which works.
 * Needs DATABASE_URL (set in the backend container); it writes no files.
 */
import { withAdvisoryLock } from '../db/advisory-lock';
import { withClient } from '../db/connection';
import { markRolledBack, prismaIsMigrating } from '../migrations/migration-state';
import { runPrismaCliSync } from '../migrations/prisma-cli';
import { createLogger } from '../logger';

const USAGE = 'usage: npm run db:resolve -- --rolled-back <migration_name> | --applied <migration_name>';

async function rollBack(databaseUrl: string, name: string): Promise<number> {
  const logger = createLogger({ level: 'warn', pretty: false });
  return withAdvisoryLock(databaseUrl, { timeoutSeconds: 10, logger }, () =>
    withClient(databaseUrl, async (client) => {
      if (await prismaIsMigrating(client)) {
        console.error("db:resolve: a prisma migrate deploy is running right now (it holds Prisma's migration lock): wait for it to end, then try again");
        return 1;
      }
      if (!(await markRolledBack(client, name, { interruptedOnly: false }))) {
        console.error(`db:resolve: migration ${name} is not recorded as failed in _prisma_migrations: nothing to resolve`);
        return 1;
      }
      console.log(`db:resolve: marked ${name} as rolled back. Once its migration.sql is fixed, start the service again: it applies it anew.`);
      return 0;
    }),
  );
}

async function main(argv: string[]): Promise<number> {
  const [flag, name, ...rest] = argv;
  if ((flag !== '--rolled-back' && flag !== '--applied') || !name || rest.length > 0) {
    console.error(USAGE);
    return 2;
  }
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.error('db:resolve: DATABASE_URL is not set: point it at the database whose migration failed');
    return 1;
  }
  if (flag === '--applied') return runPrismaCliSync(['migrate', 'resolve', '--applied', name], { databaseUrl }).code;
  return rollBack(databaseUrl, name);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`db:resolve: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
