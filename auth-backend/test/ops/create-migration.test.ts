import fs from 'node:fs';
import path from 'node:path';
import { spawnSync, spawn } from 'node:child_process';
import pg from 'pg';
import { adminUrl, createTestDatabase } from '../support/test-database';
import { makeAppRoot, projectSchema, PROJECT_MIGRATIONS } from '../support/app-root';
import { freshClone } from '../support/fresh-clone';

const root = path.resolve(__dirname, '../..');

describe('npm run db:migrate (dist/dev/create-migration.js)', () => {
  it('writes a migration for a schema change, applies it, and leaves no shadow database behind', async () => {
    const db = await createTestDatabase();
    const app = makeAppRoot({ migrations: 'project' });
    // Shadow databases on the server before: another checkout testing on the same server may have its own.
    const shadows = async () =>
      (await db.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'prisma_migrate_shadow_db_%'`)).map((row) => row.datname);
    const shadowsBefore = new Set(await shadows());
    try {
      app.writeSchema(projectSchema().replace('  name ', '  locale       String?\n  name '));
      const result = spawnSync('npm', ['run', 'db:migrate', '--', '--name', 'add user locale'], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: db.url, APP_ROOT: app.dir },
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(result.status).toBe(0);
      const created = fs.readdirSync(path.join(app.dir, 'prisma', 'migrations')).filter((name) => name.endsWith('_add_user_locale'));
      expect(created).toHaveLength(1);
      const sql = fs.readFileSync(path.join(app.dir, 'prisma', 'migrations', created[0]!, 'migration.sql'), 'utf8');
      expect(sql).toMatch(/ALTER TABLE "user" ADD COLUMN\s+"locale" TEXT/);
      expect(await db.query(`SELECT migration_name FROM _prisma_migrations WHERE migration_name = $1 AND finished_at IS NOT NULL`, [created[0]])).toHaveLength(
        1,
      );

      const again = spawnSync('npm', ['run', 'db:migrate'], { cwd: root, env: { ...process.env, DATABASE_URL: db.url, APP_ROOT: app.dir }, encoding: 'utf8' });
      expect(again.stdout).toMatch(/no migration needed/);
      expect((await shadows()).filter((name) => !shadowsBefore.has(name))).toEqual([]);
    } finally {
      app.remove();
      await db.drop();
    }
    // Two deploys and a diff through a shadow database, each a Prisma CLI start, and db:migrate builds
    // the project first (tsc), twice here: slow on a busy machine.
  }, 300_000);

  it('on a fresh clone (nothing built, no DATABASE_URL) builds first and finds the database as `npm run dev` does', async () => {
    const fresh = freshClone();
    const clone = fresh.dir;
    const schema = path.join(clone, 'prisma', 'schema.prisma');
    fs.writeFileSync(schema, fs.readFileSync(schema, 'utf8').replace('  name ', '  locale       String?\n  name '));
    // Its own database on the development server, instead of the shared auth_service.
    const database = `dev_migrate_${process.pid}_${Date.now()}`;
    const env: NodeJS.ProcessEnv = { ...process.env, DEV_DATABASE: database };
    delete env.DATABASE_URL;
    delete env.APP_ROOT;
    try {
      const result = spawnSync('npm', ['run', 'db:migrate', '--', '--name', 'add locale'], { cwd: clone, env, encoding: 'utf8', timeout: 240_000 });
      expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({ status: 0, stderr: '' });
      expect(result.stdout).not.toMatch(/MODULE_NOT_FOUND|DATABASE_URL is not set/);
      expect(result.stdout).toMatch(new RegExp(`\\[db:migrate\\] using the PostgreSQL on 127\\.0\\.0\\.1:5432|\\[db:migrate\\] using an embedded PostgreSQL`));
      expect(fs.readdirSync(path.join(clone, 'prisma', 'migrations')).filter((name) => name.endsWith('_add_locale'))).toHaveLength(1);
      const dev = await createTestDatabase();
      try {
        expect(await dev.query(`SELECT datname FROM pg_database WHERE datname = $1`, [database])).toHaveLength(1);
      } finally {
        await dev.drop();
      }
    } finally {
      fresh.remove();
      const admin = new pg.Client({ connectionString: adminUrl() });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).finally(() => admin.end());
    }
  }, 300_000);
});

describe('npm run dev (dist/dev/dev-server.js)', () => {
  it('runs the entrypoint against DATABASE_URL and stops cleanly on SIGINT', async () => {
    const db = await createTestDatabase();
    try {
      const dev = spawn(process.execPath, ['dist/dev/dev-server.js'], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', LOG_PRETTY: 'false' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      await new Promise<void>((resolve, reject) => {
        dev.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('HTTP server listening')) resolve();
        });
        dev.on('exit', () => reject(new Error(`dev server exited early:\n${output}`)));
      });
      const exited = new Promise<number | null>((resolve) => dev.on('exit', (code) => resolve(code)));
      dev.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(await db.query(`SELECT COUNT(*)::int AS n FROM _prisma_migrations`)).toEqual([{ n: PROJECT_MIGRATIONS.length }]);
    } finally {
      await db.drop();
    }
  });
});
