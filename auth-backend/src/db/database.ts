import pg from 'pg';
import { connectionConfig } from './connection';
import { FailoverPool } from './failover-pool';
import { poolConfig } from './pg-adapter';
import { transactionsOn, type Transactions } from './transaction';

export interface Database {
  /** The one pool of the process; only the table modules (src/tables/) query it. */
  pool: pg.Pool;
  /** Runs a use case's statements in one transaction (what services get instead of the pool). */
  transaction: Transactions;
  /** A connection of its own, outside the pool, for LISTEN (db/notification-listener.ts). */
  dedicatedClient(): pg.Client;
  /** Calls are waiting out a failover or switchover (DB_RETRY_WAIT): requests sent now will be served. */
  ridingOutFailover(): boolean;
  close(): Promise<void>;
}

/**
 * One pool for the whole process; connecting fails fast so requests get a 503, not a hang.
 * Runtime queries are plain SQL through it (docs/decisions/0012-runtime-queries.md): Prisma is the
 * schema and migration tool, not a runtime dependency.
 */
export function createDatabase(databaseUrl: string, options: { max?: number; retryWaitSeconds?: number } = {}): Database {
  // retryWaitSeconds (DB_RETRY_WAIT): a call that failed where running it again is safe waits that long
  // for the new primary of a failover or switchover, then runs once more (db/failover-pool.ts).
  const pool = new FailoverPool(poolConfig(databaseUrl, { max: options.max ?? 10, connectionTimeoutMillis: 2000, idleTimeoutMillis: 30_000 }), {
    retryWaitMs: (options.retryWaitSeconds ?? 0) * 1000,
  });
  // An idle client that loses its server emits 'error'; without a listener the process dies.
  pool.on('error', () => undefined);
  return {
    pool,
    transaction: transactionsOn(pool),
    ridingOutFailover: () => pool.ridingOut(),
    dedicatedClient: () => new pg.Client({ ...connectionConfig(databaseUrl), connectionTimeoutMillis: 2000 }),
    async close() {
      await pool.end().catch(() => undefined);
    },
  };
}
