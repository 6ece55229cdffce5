/**
 * Nothing but npm packages, ever: the Prisma CLI commands we and operators run must not try to
 * reach any host (no engine download, no telemetry, no update check). Each command runs with a
 * preload that records and refuses every non-local DNS lookup or connection.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { makeAppRoot } from '../support/app-root';

const root = path.resolve(__dirname, '../..');
const denyNetwork = path.join(__dirname, '../support/deny-network.js');

function prisma(args: string[], options: { cwd: string; databaseUrl?: string }) {
  const networkLog = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'net-')), 'attempts.log');
  fs.writeFileSync(networkLog, '');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NETWORK_LOG: networkLog };
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  const result = spawnSync(process.execPath, ['--require', denyNetwork, path.join(root, 'node_modules/prisma/build/index.js'), ...args], {
    cwd: options.cwd,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}`, attempts: fs.readFileSync(networkLog, 'utf8').trim() };
}

describe('the Prisma CLI with the network refused', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it.each([
    [['generate']],
    [['--version']],
    [['migrate', 'deploy']],
    [['migrate', 'status']],
    [['migrate', 'diff', '--from-migrations', 'prisma/migrations', '--to-schema-datamodel', 'prisma/schema.prisma', '--exit-code']],
  ])('prisma %j works and contacts no host', (args) => {
    const result = prisma(args, { cwd: root, databaseUrl: args[0] === 'generate' ? undefined : db.url });
    expect(result.attempts).toBe('');
    expect({ status: result.status, output: result.output }).toEqual({ status: 0, output: expect.any(String) });
  });

  it('prisma db push works and contacts no host', async () => {
    const pushDb = await createTestDatabase();
    const app = makeAppRoot({});
    try {
      const result = prisma(['db', 'push', '--skip-generate'], { cwd: app.dir, databaseUrl: pushDb.url });
      expect(result.attempts).toBe('');
      expect(result.status).toBe(0);
      expect(await pushDb.query(`SELECT to_regclass('"user"') IS NOT NULL AS present`)).toEqual([{ present: true }]);
    } finally {
      app.remove();
      await pushDb.drop();
    }
  });
});
