/**
 * The database of `npm run dev` and `npm run db:migrate` on a developer's machine: DATABASE_URL
 * when set; otherwise the database `auth_service` (DEV_DATABASE overrides the name) on the local
 * PostgreSQL on 127.0.0.1:5432, or on an embedded PostgreSQL whose data stays in .data/dev-postgres
 * (git-ignored) across runs. Both commands find the same one, so what db:migrate applies is what
 * the dev server sees.
 */
import path from 'node:path';
import pg from 'pg';
import { startLocalPostgres, databaseUrlFor } from './local-postgres';

export interface DevDatabase {
  url: string;
  /** Stops the embedded server if this call started it. */
  stop(): Promise<void>;
}

const root = path.resolve(__dirname, '../..');

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

export async function findDevDatabase(tag: string): Promise<DevDatabase> {
  const given = process.env.DATABASE_URL;
  if (given) return { url: given, stop: async () => undefined };
  const database = process.env.DEV_DATABASE || 'auth_service';
  const local = await startLocalPostgres({
    dataDir: path.join(root, '.data', 'dev-postgres'),
    port: 54330,
    log: (line) => console.log(`[postgres] ${line}`),
  });
  await ensureDatabase(local.adminUrl, database);
  const url = databaseUrlFor(local.adminUrl, database);
  console.log(
    `[${tag}] using ${local.embedded ? 'an embedded PostgreSQL (data in .data/dev-postgres)' : 'the PostgreSQL on 127.0.0.1:5432'}: ${url.replace(/:[^:@/]*@/, ':***@')}`,
  );
  return { url, stop: local.stop };
}
