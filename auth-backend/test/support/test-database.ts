import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { databaseUrlFor } from '../../src/dev/local-postgres';

/**
 * The migrated template of this run: its name is chosen once by globalSetup (and inherited by the
 * test workers through the environment) so that two runs on one server (two checkouts) never clobber
 * each other's template.
 */
export function templateDatabase(): string {
  const name = process.env.TEST_TEMPLATE_DATABASE;
  if (!name) throw new Error('TEST_TEMPLATE_DATABASE is not set: run the tests through jest (globalSetup sets it)');
  return name;
}

export interface TestDatabase {
  name: string;
  url: string;
  /** A client on this database, for arranging and asserting. */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export function adminUrl(): string {
  const url = process.env.TEST_ADMIN_URL;
  if (!url) throw new Error('TEST_ADMIN_URL is not set: run the tests through jest (globalSetup sets it)');
  return url;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database, or (migrated: true) a copy of the migrated template. */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}${options.migrated ? ` TEMPLATE ${templateDatabase()}` : ''}`));
  const url = databaseUrlFor(adminUrl(), name);
  return {
    name,
    url,
    async query(sql, params) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    drop: () => admin(async (client) => void (await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  };
}

/** `describe` when pg_dump/psql can work with the test server (see global-setup.ts), else a skip. */
export function describeWithPgTools(name: string, body: () => void): void {
  const status = process.env.TEST_PG_TOOLS ?? 'unknown';
  if (status === 'ok') describe(name, body);
  else describe.skip(`${name} (skipped: ${status})`, body);
}
