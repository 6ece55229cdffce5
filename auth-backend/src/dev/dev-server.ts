/**
 * `npm run dev`: the service without Docker. Uses DATABASE_URL when set; otherwise the local
 * PostgreSQL on 127.0.0.1:5432, or an embedded PostgreSQL whose data stays in .data/dev-postgres
 * (git-ignored) across restarts. Then runs the real entrypoint, so migrations apply as in production.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { startLocalPostgres, databaseUrlFor } from './local-postgres';

const DATABASE = 'auth_service';
const root = path.resolve(__dirname, '../..');

async function ensureDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  let databaseUrl = process.env.DATABASE_URL;
  let stopDatabase = async () => undefined as void;
  if (!databaseUrl) {
    const local = await startLocalPostgres({
      dataDir: path.join(root, '.data', 'dev-postgres'),
      port: 54330,
      log: (line) => console.log(`[postgres] ${line}`),
    });
    await ensureDatabase(local.adminUrl);
    databaseUrl = databaseUrlFor(local.adminUrl, DATABASE);
    stopDatabase = local.stop;
    console.log(
      `[dev] using ${local.embedded ? 'an embedded PostgreSQL (data in .data/dev-postgres)' : 'the PostgreSQL on 127.0.0.1:5432'}: ${databaseUrl.replace(/:[^:@/]*@/, ':***@')}`,
    );
  }
  const service = spawn(process.execPath, [path.join(root, 'dist', 'entrypoint.js')], {
    cwd: root,
    stdio: 'inherit',
    env: { NODE_ENV: 'development', LOG_PRETTY: 'true', ...process.env, DATABASE_URL: databaseUrl },
  });
  const forward = (signal: NodeJS.Signals) => service.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  service.on('exit', (code, signal) => {
    void stopDatabase().finally(() => process.exit(code ?? (signal ? 1 : 0)));
  });
}

main().catch((error) => {
  console.error(`[dev] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
