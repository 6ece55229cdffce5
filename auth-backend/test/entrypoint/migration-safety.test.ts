/**
 * MIGRATION_SAFETY: the entrypoint checks the pending migrations with db:check-migrations' rules
 * before it applies them. The built entrypoint, spawned against a database migrated to the project's
 * migrations, with one more that drops a column.
 */
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { createTestDatabase } from '../support/test-database';
import { makeAppRoot, projectMigrationSql, PROJECT_MIGRATIONS } from '../support/app-root';
import { spawnService } from '../support/service-process';

jest.setTimeout(90_000);

const DROP = '20990101000000_drop_user_name';
const shipped = () => Object.fromEntries(PROJECT_MIGRATIONS.map((name) => [name, projectMigrationSql(name)]));

async function columns(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = 'user'`);
    return rows.map((row) => row.column_name);
  } finally {
    await client.end();
  }
}

describe('entrypoint with a pending migration that drops a column', () => {
  it('MIGRATION_SAFETY=strict refuses to start (exit 7) naming file, line and advice, and changes nothing', async () => {
    const db = await createTestDatabase({ migrated: true });
    const root = makeAppRoot({ migrations: { ...shipped(), [DROP]: '-- AlterTable\nALTER TABLE "user" DROP COLUMN "name";\n' } });
    const service = spawnService({ DATABASE_URL: db.url, APP_ROOT: root.dir, MIGRATION_SAFETY: 'strict' });
    try {
      expect(await service.exited).toEqual({ code: 7, signal: null });
      expect(service.output()).toContain(`prisma/migrations/${DROP}/migration.sql:2: drops column user.name`);
      expect(service.output()).toMatch(/Two releases/);
      expect(await columns(db.url)).toContain('name');
    } finally {
      await service.stop('SIGKILL');
      root.remove();
      await db.drop();
    }
  });

  it('passes with `-- contract: <why>` and applies it', async () => {
    // A column that no release reads any more (the contract's claim must hold: this release still reads
    // "name", and from v4 it prepares statements that do at start-up).
    const db = await createTestDatabase({ migrated: true });
    await db.query(`ALTER TABLE "user" ADD COLUMN "legacy_note" TEXT`);
    const root = makeAppRoot({
      migrations: { ...shipped(), [DROP]: '-- contract: no release since 1.2 reads "legacy_note"\nALTER TABLE "user" DROP COLUMN "legacy_note";\n' },
    });
    const service = spawnService({ DATABASE_URL: db.url, APP_ROOT: root.dir, MIGRATION_SAFETY: 'strict' });
    try {
      await service.waitForPort();
      expect(await columns(db.url)).not.toContain('legacy_note');
      expect(service.output()).toContain(DROP);
    } finally {
      await service.stop('SIGKILL');
      root.remove();
      await db.drop();
    }
  });
});

describe('entrypoint --migrate-only (the Kubernetes init container)', () => {
  it('applies the pending migrations under the lock and exits 0 without serving', async () => {
    const db = await createTestDatabase();
    const root = makeAppRoot({ migrations: 'project' });
    try {
      const result = spawnSync(process.execPath, [path.resolve(__dirname, '../../dist/entrypoint.js'), '--migrate-only'], {
        env: { PATH: process.env.PATH, NODE_ENV: 'test', DATABASE_URL: db.url, APP_ROOT: root.dir, PORT: '0', MIGRATION_SAFETY: 'strict' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/migration lock acquired[\s\S]*schema: applied \d+ migration\(s\)[\s\S]*schema ready \(--migrate-only\): exiting/);
      expect(result.stdout).not.toMatch(/HTTP server listening/);
      expect(await columns(db.url)).toContain('email');
    } finally {
      root.remove();
      await db.drop();
    }
  });
});

describe('entrypoint with a pending migration PostgreSQL cannot parse', () => {
  it('leaves it to prisma migrate deploy, which fails with exit code 4 and names it', async () => {
    const db = await createTestDatabase({ migrated: true });
    const broken = '20990101000000_broken';
    const root = makeAppRoot({ migrations: { ...shipped(), [broken]: 'ALTER TABLE "user" ADD COLUMN;\n' } });
    const service = spawnService({ DATABASE_URL: db.url, APP_ROOT: root.dir, MIGRATION_SAFETY: 'strict' });
    try {
      expect(await service.exited).toEqual({ code: 4, signal: null });
      expect(service.output()).toContain(`${broken}/migration.sql: not valid PostgreSQL`);
      expect(service.output()).toMatch(new RegExp(`migration ${broken} is recorded as failed`));
    } finally {
      await service.stop('SIGKILL');
      root.remove();
      await db.drop();
    }
  });
});
