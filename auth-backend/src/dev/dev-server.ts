/**
 * `npm run dev`: the service without Docker, on the development database (dev-database.ts).
 * Runs the real entrypoint, so migrations apply as in production.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { findDevDatabase } from './dev-database';

const root = path.resolve(__dirname, '../..');

async function main(): Promise<void> {
  const database = await findDevDatabase('dev');
  const service = spawn(process.execPath, [path.join(root, 'dist', 'entrypoint.js')], {
    cwd: root,
    stdio: 'inherit',
    env: { NODE_ENV: 'development', LOG_PRETTY: 'true', ...process.env, DATABASE_URL: database.url },
  });
  const forward = (signal: NodeJS.Signals) => service.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  service.on('exit', (code, signal) => {
    void database.stop().finally(() => process.exit(code ?? (signal ? 1 : 0)));
  });
}

main().catch((error) => {
  console.error(`[dev] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
