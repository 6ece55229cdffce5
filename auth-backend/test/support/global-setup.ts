import path from 'node:path';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { startLocalPostgres, databaseUrlFor, type LocalPostgres } from '../../src/dev/local-postgres';
import { TEMPLATE_DATABASE } from './test-database';

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
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const deploy = spawnSync(process.execPath, [path.join(root, 'node_modules/prisma/build/index.js'), 'migrate', 'deploy'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrlFor(adminUrl, TEMPLATE_DATABASE) },
    encoding: 'utf8',
  });
  if (deploy.status !== 0) throw new Error(`migrating the template database failed:\n${deploy.stdout}\n${deploy.stderr}`);
}
