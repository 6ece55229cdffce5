/**
 * Black-box tests of the container entrypoint: the built dist/entrypoint.js is spawned against a
 * fresh database per test, and exit codes, logs, schema and data are asserted.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import zlib from 'node:zlib';
import request from 'supertest';
import { createTestDatabase, adminUrl, describeWithPgTools, type TestDatabase } from '../support/test-database';
import { afterProjectMigrations, makeAppRoot, projectMigrations, projectSchema, INIT_MIGRATION, PROJECT_MIGRATIONS } from '../support/app-root';
import { spawnService, type ServiceProcess } from '../support/service-process';

jest.setTimeout(90_000);

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freshDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  return db;
}

function appRoot(options: Parameters<typeof makeAppRoot>[0]) {
  const root = makeAppRoot(options);
  cleanups.push(() => root.remove());
  return root;
}

function start(db: { url: string }, root: { dir: string }, env: Record<string, string> = {}): ServiceProcess {
  const service = spawnService({ DATABASE_URL: db.url, APP_ROOT: root.dir, ...env });
  cleanups.push(async () => void (await service.stop('SIGKILL')));
  return service;
}

const appliedMigrations = (db: TestDatabase) =>
  db.query<{ migration_name: string; finished: boolean }>(
    'SELECT migration_name, finished_at IS NOT NULL AS finished FROM _prisma_migrations ORDER BY migration_name',
  );

const columnsOf = async (db: TestDatabase, table: string) =>
  (await db.query<{ column_name: string }>('SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY column_name', [table])).map(
    (row) => row.column_name,
  );

describe('entrypoint with migrations in prisma/migrations', () => {
  it('applies them to a fresh database, then a second start applies nothing and boots', async () => {
    const db = await freshDatabase();
    const root = appRoot({ migrations: 'project' });

    const first = start(db, root);
    const port = await first.waitForPort();
    await request(`http://127.0.0.1:${port}`).get('/ready').expect(200, { status: 'ready' });
    expect(first.output()).toMatch(new RegExp(`${PROJECT_MIGRATIONS.length} pending: running prisma migrate deploy`));
    expect(await first.stop()).toEqual({ code: 0, signal: null });
    expect(await appliedMigrations(db)).toEqual(PROJECT_MIGRATIONS.map((name) => ({ migration_name: name, finished: true })));

    const second = start(db, root);
    await second.waitForPort();
    expect(second.output()).toMatch(/none pending: nothing to apply/);
    expect(second.output()).not.toMatch(/running prisma migrate deploy/);
    expect(await second.stop()).toEqual({ code: 0, signal: null });
    expect(await appliedMigrations(db)).toHaveLength(PROJECT_MIGRATIONS.length);
  });

  it("applies a migration with a $$ function body and a 'a;b' literal exactly", async () => {
    const db = await freshDatabase();
    const root = appRoot({
      migrations: {
        ...projectMigrations(),
        [afterProjectMigrations('semicolons')]: `
ALTER TABLE "user" ADD COLUMN "motto" TEXT NOT NULL DEFAULT 'a;b';
CREATE FUNCTION shout(words text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RETURN upper(words) || ';!';
END;
$$;`,
      },
    });
    const service = start(db, root);
    await service.waitForPort();
    await db.query(`INSERT INTO "user" (id, email, "passwordHash", "updatedAt") VALUES (gen_random_uuid(), 'a@example.com', 'x', now())`);
    expect(await db.query(`SELECT motto, shout('hi') AS shouted FROM "user"`)).toEqual([{ motto: 'a;b', shouted: 'HI;!' }]);
    expect(await appliedMigrations(db)).toHaveLength(PROJECT_MIGRATIONS.length + 1);
  });

  it('stops on a broken migration without booting the API, names it and the recovery command, and changes nothing', async () => {
    const db = await freshDatabase();
    const broken = afterProjectMigrations('broken');
    const root = appRoot({
      migrations: {
        ...projectMigrations(),
        [broken]: `ALTER TABLE "user" ADD COLUMN "half" INTEGER;\nSELECT * FROM table_that_does_not_exist;`,
      },
    });

    const first = start(db, root);
    const { code } = await first.exited;
    expect(code).toBe(4);
    expect(first.output()).not.toMatch(/HTTP server listening/);
    expect(first.output()).toContain(broken);
    const recovery = `npm run db:resolve -- --rolled-back ${broken}`;
    expect(first.output()).toContain(recovery);
    expect(first.output()).toContain(`docker-compose run --rm backend ${recovery}`);
    expect(await columnsOf(db, 'user')).not.toContain('half');

    // The failure is recorded (P3009): the next start stops too, before calling Prisma at all.
    const second = start(db, root);
    expect((await second.exited).code).toBe(4);
    expect(second.output()).toMatch(new RegExp(`migration ${broken} is recorded as failed`));
    expect(second.output()).not.toMatch(/HTTP server listening/);

    // The recovery as printed: fix the SQL, mark the migration rolled back, start again.
    root.addMigration(broken, `ALTER TABLE "user" ADD COLUMN "half" INTEGER;`);
    const resolve = spawnSync('bash', ['-c', recovery], { cwd: root.dir, env: { ...process.env, DATABASE_URL: db.url }, encoding: 'utf8' });
    expect({ status: resolve.status, stderr: resolve.stderr }).toEqual({ status: 0, stderr: '' });
    expect(resolve.stdout).toContain(`marked ${broken} as rolled back`);
    const third = start(db, root);
    await third.waitForPort();
    expect(await columnsOf(db, 'user')).toContain('half');
    const history = await appliedMigrations(db);
    expect(history).toHaveLength(PROJECT_MIGRATIONS.length + 2);
    expect(history).toEqual(
      expect.arrayContaining([
        { migration_name: INIT_MIGRATION, finished: true },
        { migration_name: broken, finished: false },
        { migration_name: broken, finished: true },
      ]),
    );
  });

  it('db:resolve --rolled-back refuses a migration that is not recorded as failed, and changes nothing', async () => {
    const db = await freshDatabase();
    const root = appRoot({ migrations: 'project' });
    await start(db, root).waitForPort();
    const resolve = spawnSync('bash', ['-c', `npm run db:resolve -- --rolled-back ${INIT_MIGRATION}`], {
      cwd: root.dir,
      env: { ...process.env, DATABASE_URL: db.url },
      encoding: 'utf8',
    });
    expect(resolve.status).toBe(1);
    expect(resolve.stderr).toContain(`migration ${INIT_MIGRATION} is not recorded as failed`);
    expect(await appliedMigrations(db)).toEqual(PROJECT_MIGRATIONS.map((name) => ({ migration_name: name, finished: true })));
  });

  it('migrates once when two instances start at the same moment, and both serve', async () => {
    const db = await freshDatabase();
    const root = appRoot({ migrations: 'project' });
    const [a, b] = [start(db, root), start(db, root)];
    const ports = await Promise.all([a.waitForPort(), b.waitForPort()]);
    for (const port of ports) await request(`http://127.0.0.1:${port}`).get('/ready').expect(200);
    expect(await appliedMigrations(db)).toEqual(PROJECT_MIGRATIONS.map((name) => ({ migration_name: name, finished: true })));
    const deployers = [a, b].filter((service) => /running prisma migrate deploy/.test(service.output()));
    expect(deployers).toHaveLength(1);
    expect([a, b].filter((service) => /none pending/.test(service.output()))).toHaveLength(1);
  });
});

describe('entrypoint without migrations (db push)', () => {
  const userModel = /model User \{[\s\S]*?\n\}/;

  it('creates the schema, then applies a change that only adds a nullable column', async () => {
    const db = await freshDatabase();
    const root = appRoot({});
    const first = start(db, root);
    await first.waitForPort();
    expect(first.output()).toMatch(/holds no migration: running prisma db push/);
    expect(await first.stop()).toEqual({ code: 0, signal: null });
    expect(await columnsOf(db, 'user')).toEqual([
      'createdAt',
      'disabledAt',
      'email',
      'emailVerifiedAt',
      'id',
      'lastSignInAt',
      'mfaEnabled',
      'name',
      'passwordHash',
      'role',
      'updatedAt',
    ]);

    root.writeSchema(projectSchema().replace(userModel, (model) => model.replace('  name ', '  nickname     String?\n  name ')));
    const second = start(db, root);
    await second.waitForPort();
    expect(await columnsOf(db, 'user')).toContain('nickname');
  });

  it('refuses a change that would drop a column holding data, loudly, and keeps the data', async () => {
    const db = await freshDatabase();
    const root = appRoot({});
    const first = start(db, root);
    await first.waitForPort();
    await first.stop();
    await db.query(`INSERT INTO "user" (id, email, "passwordHash", name, "updatedAt") VALUES (gen_random_uuid(), 'keep@example.com', 'x', 'Keep Me', now())`);

    root.writeSchema(projectSchema().replace(userModel, (model) => model.replace(/\n  name .*/, '')));
    const second = start(db, root);
    expect((await second.exited).code).toBe(5);
    expect(second.output()).toMatch(/would lose data/);
    expect(second.output()).toMatch(/--accept-data-loss/);
    expect(second.output()).not.toMatch(/HTTP server listening/);
    expect(await db.query('SELECT email, name FROM "user"')).toEqual([{ email: 'keep@example.com', name: 'Keep Me' }]);
  });
});

describe('entrypoint waiting for the database', () => {
  function freePort(): Promise<number> {
    return new Promise((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
  }

  /** A TCP relay to the real server: the "database" appears when the relay starts. */
  function relayTo(port: number): Promise<net.Server> {
    const target = new URL(adminUrl());
    const relay = net.createServer((socket) => {
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    return new Promise((resolve) => relay.listen(port, '127.0.0.1', () => resolve(relay)));
  }

  it('waits for a database that comes up late, then migrates and serves', async () => {
    const db = await freshDatabase();
    const port = await freePort();
    const lateUrl = new URL(db.url);
    lateUrl.host = `127.0.0.1:${port}`;
    const service = start({ url: lateUrl.toString() }, appRoot({ migrations: 'project' }), { DB_WAIT_TIMEOUT: '30' });
    await service.waitForLog(/database not reachable yet, waiting/);
    const relay = await relayTo(port);
    cleanups.push(() => new Promise<void>((resolve) => relay.close(() => resolve())));
    await service.waitForPort();
    expect(service.output()).toMatch(/database is reachable/);
    expect(await appliedMigrations(db)).toHaveLength(PROJECT_MIGRATIONS.length);
    // Stopped before the relay closes: the relay's close waits for every connection through it, and
    // the service holds some for as long as it runs (the outboxes' LISTEN connection).
    expect(await service.stop()).toEqual({ code: 0, signal: null });
  });

  it('gives up after DB_WAIT_TIMEOUT with a clear message when the database never comes up', async () => {
    const port = await freePort();
    const started = Date.now();
    const service = start({ url: `postgresql://postgres@127.0.0.1:${port}/never` }, appRoot({ migrations: 'project' }), { DB_WAIT_TIMEOUT: '2' });
    const { code } = await service.exited;
    expect(code).toBe(2);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(service.output()).toMatch(/database did not answer within 2s/);
    expect(service.output()).toMatch(/DB_WAIT_TIMEOUT/);
  });
});

describe('entrypoint configuration', () => {
  it('refuses to start with one clear line per bad variable and exit code 1', async () => {
    const service = start({ url: 'mysql://nope' }, appRoot({ migrations: 'project' }), { PORT: 'eighty', NODE_ENV: 'production', JWT_SECRET: 'short' });
    expect((await service.exited).code).toBe(1);
    const lines = service.output().trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^config error: DATABASE_URL: must be a postgresql:\/\/ connection string$/),
        expect.stringMatching(/^config error: PORT: /),
        expect.stringMatching(/^config error: JWT_SECRET: must be at least 32 bytes$/),
        expect.stringMatching(/^config error: PASSWORD_PEPPER: is required in production$/),
      ]),
    );
    expect(service.output()).not.toContain('short');
  });
});

describe('entrypoint shutdown', () => {
  it('finishes a request in flight on SIGTERM, then exits 0', async () => {
    const db = await createTestDatabase({ migrated: true });
    cleanups.push(() => db.drop());
    const service = start(db, appRoot({ migrations: 'project' }));
    const port = await service.waitForPort();

    const body = JSON.stringify({ email: 'slow@example.com', password: 'a slow request body' });
    const response = new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/auth/login',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        },
      );
      req.on('error', reject);
      // Half the body now: the request is in flight when SIGTERM arrives; the rest after it.
      req.write(body.slice(0, 10));
      setTimeout(() => {
        service.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 500);
      }, 300);
    });
    const status = await response;
    expect(status).toBeGreaterThanOrEqual(200);
    expect(status).toBeLessThan(500);
    expect(await service.exited).toEqual({ code: 0, signal: null });
    expect(service.output()).toMatch(/shutdown complete/);
  });
});

describe('npm start', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('passes %s to the service, which ends gracefully: npm exits 0 and leaves no process', async (signal) => {
    const db = await createTestDatabase({ migrated: true });
    cleanups.push(() => db.drop());
    const root = appRoot({ migrations: 'project' });
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: path.resolve(__dirname, '../..'),
      env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: db.url, APP_ROOT: root.dir, PORT: '0', HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const listening = new Promise<void>((resolve) =>
      npm.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('HTTP server listening')) resolve();
      }),
    );
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => npm.on('exit', (code, sig) => resolve({ code, signal: sig })));
    await listening;
    const servicePid = Number(/"pid":(\d+)/.exec(output)?.[1]);
    npm.kill(signal);
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(output).toMatch(/shutdown complete/);
    expect(() => process.kill(servicePid, 0)).toThrow();
  });
});

describeWithPgTools('entrypoint pre-migration backup (BACKUP_BEFORE_MIGRATE)', () => {
  it('backs up before applying a pending migration, and not when none is pending', async () => {
    const db = await freshDatabase();
    const backups = fs.mkdtempSync(path.join(os.tmpdir(), 'pre-migrate-'));
    cleanups.push(() => fs.rmSync(backups, { recursive: true, force: true }));
    const env = { BACKUP_BEFORE_MIGRATE: 'true', BACKUP_DIR: backups };
    const root = appRoot({ migrations: 'project' });

    const fresh = start(db, root, env);
    await fresh.waitForPort();
    await fresh.stop();
    expect(fresh.output()).toMatch(/pre-migration backup skipped: the database has no tables yet/);
    expect(fs.readdirSync(backups)).toEqual([]);

    await db.query(`INSERT INTO "user" (id, email, "passwordHash", "updatedAt") VALUES (gen_random_uuid(), 'kept@example.com', 'x', now())`);
    root.addMigration('20261126000000_add_nickname', 'ALTER TABLE "user" ADD COLUMN "nickname" TEXT;');
    const upgrade = start(db, root, env);
    await upgrade.waitForPort();
    await upgrade.stop();
    const files = fs.readdirSync(backups).sort();
    expect(files).toEqual([
      expect.stringMatching(new RegExp(`^${db.name}-\\d{8}T\\d{6}Z-pre-migrate\\.sql\\.gz$`)),
      expect.stringMatching(/-pre-migrate\.sql\.gz\.sha256$/),
    ]);
    const dump = zlib.gunzipSync(fs.readFileSync(path.join(backups, files[0]!))).toString();
    expect(dump).toContain('kept@example.com');
    expect(dump).not.toContain('nickname'); // taken before the migration ran

    const again = start(db, root, env);
    await again.waitForPort();
    await again.stop();
    expect(fs.readdirSync(backups)).toHaveLength(2);
  });

  it('refuses to migrate when the backup cannot be written', async () => {
    const db = await createTestDatabase({ migrated: true });
    cleanups.push(() => db.drop());
    const root = appRoot({ migrations: 'project' });
    root.addMigration('20261126000000_add_nickname', 'ALTER TABLE "user" ADD COLUMN "nickname" TEXT;');
    const service = start(db, root, { BACKUP_BEFORE_MIGRATE: 'true', BACKUP_DIR: '/etc/hostname/backups' });
    expect((await service.exited).code).toBe(6);
    expect(service.output()).toMatch(/pre-migration backup failed .*so the schema was not changed/);
    expect(await columnsOf(db, 'user')).not.toContain('nickname');
  });
});
