/**
 * The entrypoint's automatic backup before it changes the schema (BACKUP_BEFORE_MIGRATE, on by
 * default in production). Same format and naming as scripts/backup.sh (gzip'd plain SQL with
 * --clean --if-exists, and a .sha256 beside it), so scripts/restore.sh restores either.
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { connectionConfig, withClient } from '../db/connection';
import type { Logger } from '../logger';
import { EXIT, StartupError } from '../startup-error';

const hasTables = (databaseUrl: string): Promise<boolean> =>
  withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM pg_tables WHERE schemaname = current_schema()`);
    return (rows[0]?.n ?? 0) > 0;
  });

const stamp = (date: Date) =>
  date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

/** Writes the backup and returns its path, or undefined when the database holds nothing yet. */
export async function backupBeforeChange(options: {
  databaseUrl: string;
  dir: string;
  reason: string;
  logger: Logger;
  now?: Date;
}): Promise<string | undefined> {
  const { databaseUrl, dir, reason, logger } = options;
  if (!(await hasTables(databaseUrl))) {
    logger.info({ reason }, 'pre-migration backup skipped: the database has no tables yet');
    return undefined;
  }
  const database = connectionConfig(databaseUrl).database ?? 'database';
  const file = path.resolve(dir, `${database}-${stamp(options.now ?? new Date())}-pre-migrate.sql.gz`);
  const partial = `${file}.partial`;
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
    const dump = spawn('pg_dump', [`--dbname=${databaseUrl}`, '--clean', '--if-exists', '--no-owner', '--no-privileges', '--quote-all-identifiers'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    dump.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number>((resolve, reject) => {
      dump.on('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? new Error('pg_dump is not installed or not on PATH') : error));
      dump.on('close', (code) => resolve(code ?? 1));
    });
    await pipeline(dump.stdout, createGzip({ level: 9 }), fs.createWriteStream(partial));
    const code = await exited;
    if (code !== 0) throw new Error(`pg_dump exited with ${code}: ${stderr.trim().split('\n').pop()}`);
    fs.renameSync(partial, file);
    const digest = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    fs.writeFileSync(`${file}.sha256`, `${digest}  ${path.basename(file)}\n`);
  } catch (error) {
    removeQuietly(partial);
    const cause = error instanceof Error ? error.message : String(error);
    throw new StartupError(
      `pre-migration backup failed (${cause}), so the schema was not changed. Fix the cause (BACKUP_DIR=${dir} must be writable, pg_dump must match the server), ` +
        'or, knowing there is another backup, start once with BACKUP_BEFORE_MIGRATE=false.',
      EXIT.backupFailed,
    );
  }
  const size = fs.statSync(file).size;
  logger.info({ reason, file, bytes: size }, `pre-migration backup written: ${file} (${size} bytes)`);
  return file;
}

function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // Nothing was written there (e.g. the folder itself is unusable).
  }
}
