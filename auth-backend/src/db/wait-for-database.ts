import pg from 'pg';
import type { Logger } from '../logger';
import { connectionConfig } from './connection';

export class DatabaseUnavailableError extends Error {
  constructor(
    readonly waitedSeconds: number,
    readonly lastError: string,
  ) {
    super(
      `database did not answer within ${waitedSeconds}s (last error: ${lastError}). ` +
        'Check that PostgreSQL is running and DATABASE_URL points at it, or raise DB_WAIT_TIMEOUT.',
    );
    this.name = 'DatabaseUnavailableError';
  }
}

/** Connects and runs `SELECT 1` until it works, with exponential backoff bounded by `timeoutSeconds`. */
export async function waitForDatabase(databaseUrl: string, timeoutSeconds: number, logger: Logger): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let delayMs = 250;
  for (let attempt = 1; ; attempt++) {
    const remainingMs = deadline - Date.now();
    const client = new pg.Client({
      ...connectionConfig(databaseUrl),
      connectionTimeoutMillis: Math.max(1000, Math.min(5000, remainingMs)),
    });
    try {
      await client.connect();
      await client.query('SELECT 1');
      logger.info({ attempt }, 'database is reachable');
      return;
    } catch (error) {
      const message = error instanceof Error ? error.message || error.name : String(error);
      const waitMs = Math.min(delayMs, deadline - Date.now());
      if (waitMs <= 0) throw new DatabaseUnavailableError(timeoutSeconds, message);
      logger.warn({ attempt, retryInMs: waitMs, err: message }, 'database not reachable yet, waiting');
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      delayMs = Math.min(delayMs * 2, 5000);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
