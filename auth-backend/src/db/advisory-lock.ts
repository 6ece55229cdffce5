import { withClient } from './connection';
import type { Logger } from '../logger';

/** Our migration lock; distinct from Prisma's own (72707369), which it encloses. */
export const MIGRATION_LOCK_KEY = 4_242_001;

export class LockTimeoutError extends Error {
  constructor(readonly waitedSeconds: number) {
    super(
      `could not take the migration lock within ${waitedSeconds}s: another instance is migrating or holds it. ` +
        'Find the holder with: SELECT pid, backend_start, state FROM pg_stat_activity JOIN pg_locks USING (pid) ' +
        `WHERE locktype = 'advisory' AND objid = ${MIGRATION_LOCK_KEY}; then wait for it, or raise MIGRATION_LOCK_TIMEOUT.`,
    );
    this.name = 'LockTimeoutError';
  }
}

/**
 * Runs `work` while holding a session-level advisory lock on a dedicated connection, so that
 * replicas starting together migrate one after the other. The lock is released on every exit
 * path, and by PostgreSQL itself if this process dies (the session ends).
 */
export async function withAdvisoryLock<T>(
  databaseUrl: string,
  options: { key?: number; timeoutSeconds: number; logger: Logger },
  work: () => Promise<T>,
): Promise<T> {
  const { key = MIGRATION_LOCK_KEY, timeoutSeconds, logger } = options;
  return withClient(databaseUrl, async (client) => {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (let attempt = 1; ; attempt++) {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [key]);
      if (rows[0]?.locked) break;
      if (Date.now() >= deadline) throw new LockTimeoutError(timeoutSeconds);
      if (attempt === 1 || attempt % 10 === 0) logger.info({ lockKey: key, attempt }, 'migration lock held by another instance, waiting');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    logger.info({ lockKey: key }, 'migration lock acquired');
    try {
      return await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
      logger.info({ lockKey: key }, 'migration lock released');
    }
  });
}
