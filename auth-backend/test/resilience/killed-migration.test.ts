/**
 * kill -9 of the service (its whole process group, as when a container dies) in the middle of a
 * migration: the migration is never recorded as applied, nothing of it remains, and the next
 * start completes it on its own.
 */
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { afterProjectMigrations, makeAppRoot, projectMigrations } from '../support/app-root';
import { spawnService } from '../support/service-process';

jest.setTimeout(90_000);

const SLOW = afterProjectMigrations('slow_change');

describe('a service killed in the middle of a migration', () => {
  let db: TestDatabase;
  const app = makeAppRoot({
    migrations: {
      ...projectMigrations(),
      [SLOW]: `ALTER TABLE "user" ADD COLUMN "first_half" INTEGER;\nSELECT pg_sleep(6);\nALTER TABLE "user" ADD COLUMN "second_half" INTEGER;`,
    },
  });

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
  });
  afterAll(async () => {
    app.remove();
    await db.drop();
  });

  const columns = async () =>
    (await db.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = 'user' AND column_name LIKE '%_half'`))
      .map((row) => row.column_name)
      .sort();
  const history = () =>
    db.query<{ migration_name: string; finished: boolean; rolled_back: boolean }>(
      `SELECT migration_name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back FROM _prisma_migrations WHERE migration_name = $1 ORDER BY started_at`,
      [SLOW],
    );
  const sleepingBackends = async () =>
    (await db.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(6)%' AND pid <> pg_backend_pid()`))[0]!.n;

  it('never records it as applied, leaves nothing half-done, and the next start completes it', async () => {
    const first = spawnService({ DATABASE_URL: db.url, APP_ROOT: app.dir }, { detached: true });
    await first.waitForLog(/running prisma migrate deploy/);
    const deadline = Date.now() + 20_000;
    while ((await sleepingBackends()) === 0) {
      if (Date.now() > deadline) throw new Error(`the migration never started:\n${first.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.exited;

    // PostgreSQL notices the dead client within client_connection_check_interval (1 s) and rolls back.
    const gone = Date.now() + 5000;
    while ((await sleepingBackends()) > 0 && Date.now() < gone) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await sleepingBackends()).toBe(0);
    expect(await history()).toEqual([{ migration_name: SLOW, finished: false, rolled_back: false }]);
    expect(await columns()).toEqual([]);

    const second = spawnService({ DATABASE_URL: db.url, APP_ROOT: app.dir });
    await second.waitForPort(60_000);
    expect(second.output()).toMatch(new RegExp(`migration ${SLOW} was interrupted`));
    expect(await second.stop()).toEqual({ code: 0, signal: null });
    expect(await columns()).toEqual(['first_half', 'second_half']);
    expect(await history()).toEqual([
      { migration_name: SLOW, finished: false, rolled_back: true },
      { migration_name: SLOW, finished: true, rolled_back: false },
    ]);
  });
});
