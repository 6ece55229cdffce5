import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startLocalPostgres, databaseUrlFor, type LocalPostgres } from '../../src/dev/local-postgres';

declare global {
  var __localPostgres: LocalPostgres | undefined;
}

const root = path.resolve(__dirname, '../..');

/**
 * One PostgreSQL server for the run (DATABASE_URL's, the local one, or an embedded one),
 * and a template database migrated once, from which each test file clones its own database.
 */
export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env.TEST_ADMIN_URL;
  if (!adminUrl) {
    const local = await startLocalPostgres({ dataDir: path.join(root, '.data', 'test-postgres'), port: 54329 });
    globalThis.__localPostgres = local;
    adminUrl = local.adminUrl;
    process.env.TEST_ADMIN_URL = adminUrl;
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const template = `auth_test_template_${randomBytes(4).toString('hex')}`;
  process.env.TEST_TEMPLATE_DATABASE = template;
  try {
    await admin.query(`CREATE DATABASE ${template}`);
  } finally {
    await admin.end();
  }
  process.env.TEST_PG_TOOLS = await pgToolsStatus(adminUrl);
  const deploy = spawnSync(process.execPath, [path.join(root, 'node_modules/prisma/build/index.js'), 'migrate', 'deploy'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrlFor(adminUrl, template) },
    encoding: 'utf8',
  });
  if (deploy.status !== 0) throw new Error(`migrating the template database failed:\n${deploy.stdout}\n${deploy.stderr}`);
}

/**
 * Whether pg_dump/psql here can work with the server (the operations scripts and the
 * pre-migration backup need them): "ok", or why not. .ci/run installs them; on a laptop with
 * only Node the tests that need them are skipped, naming the reason.
 */
async function pgToolsStatus(adminUrl: string): Promise<string> {
  const dump = spawnSync('pg_dump', ['--version'], { encoding: 'utf8' });
  const psql = spawnSync('psql', ['--version'], { encoding: 'utf8' });
  if (dump.status !== 0 || psql.status !== 0) return 'pg_dump/psql are not installed (apt-get install postgresql-client)';
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const server = Number((await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v) / 10000;
    const tools = Number(/(\d+)/.exec(dump.stdout)?.[1] ?? 0);
    return tools >= Math.floor(server) ? 'ok' : `pg_dump ${tools} is older than the server (${Math.floor(server)})`;
  } finally {
    await client.end();
  }
}
