// Read by the Prisma CLI (generate, migrate, db push, studio). The JavaScript schema engine
// runs migrations through our fixed pg adapter, so no engine binary is ever downloaded.
import { defineConfig } from 'prisma/config';
import { FixedPrismaPg } from './src/db/pg-adapter';
import { unrefLongTimers } from './src/migrations/cli-timers';

unrefLongTimers();

// Prisma's own update check and telemetry call Prisma's servers: never from here.
process.env.CHECKPOINT_DISABLE ??= '1';
process.env.PRISMA_HIDE_UPDATE_MESSAGE ??= '1';

const databaseUrl = process.env.DATABASE_URL;

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  async adapter() {
    if (!databaseUrl) throw new Error('DATABASE_URL is not set: point it at the PostgreSQL database to manage');
    // allowExitOnIdle: the CLI does not always dispose the adapter; without it, every command
    // would wait for pg's 10 s idle timeout before exiting. checkClientConnectionMs: if the CLI is
    // killed mid-migration, PostgreSQL aborts (rolls back) the migration within a second.
    return new FixedPrismaPg(databaseUrl, { allowExitOnIdle: true, checkClientConnectionMs: 1000 });
  },
});
