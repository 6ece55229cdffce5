import fs from 'node:fs';
import path from 'node:path';
import { spawnSync, spawn } from 'node:child_process';
import { createTestDatabase } from '../support/test-database';
import { makeAppRoot, projectSchema, PROJECT_MIGRATIONS } from '../support/app-root';

const root = path.resolve(__dirname, '../..');

describe('npm run db:migrate (dist/dev/create-migration.js)', () => {
  it('writes a migration for a schema change, applies it, and leaves no shadow database behind', async () => {
    const db = await createTestDatabase();
    const app = makeAppRoot({ migrations: 'project' });
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
      const admin = await createTestDatabase();
      try {
        expect(await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE 'prisma_migrate_shadow_db_%'`)).toEqual([]);
      } finally {
        await admin.drop();
      }
    } finally {
      app.remove();
      await db.drop();
    }
    // Two deploys and a diff through a shadow database, each a Prisma CLI start: slow on a busy machine.
  }, 240_000);

  it('refuses to run without DATABASE_URL', () => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    const result = spawnSync('node', ['dist/dev/create-migration.js'], { cwd: root, env, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/DATABASE_URL is not set/);
  });
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
