import type pg from 'pg';
import { readMigrationState } from '../migrations/migration-state';

export type Readiness = { ready: true } | { ready: false; reason: string };

export interface ReadinessOptions {
  pool: Pick<pg.Pool, 'query'>;
  /** The migrations this build ships; empty when the schema is managed by db push. */
  localMigrations: string[];
  isShuttingDown: () => boolean;
  /**
   * True while database calls wait out a failover or switchover (db/failover-pool.ts): the replica stays
   * ready, because a request sent now waits for the new primary and succeeds. Once that wait has failed,
   * readiness asks the database again (and fails at once).
   */
  ridingOutFailover?: () => boolean;
}

/** Ready when not shutting down, the database answers and no shipped migration is pending. */
export function createReadinessCheck({ pool, localMigrations, isShuttingDown, ridingOutFailover }: ReadinessOptions): () => Promise<Readiness> {
  return async () => {
    if (isShuttingDown()) return { ready: false, reason: 'The service is shutting down.' };
    if (ridingOutFailover?.()) return { ready: true };
    try {
      if (localMigrations.length === 0) {
        await pool.query('SELECT 1');
        return { ready: true };
      }
      const state = await readMigrationState(pool, localMigrations);
      if (state.failed.length > 0) return { ready: false, reason: `Migration ${state.failed[0]} failed.` };
      if (state.pending.length > 0) return { ready: false, reason: `${state.pending.length} migration(s) pending.` };
      return { ready: true };
    } catch {
      return { ready: false, reason: 'The database is unreachable.' };
    }
  };
}
