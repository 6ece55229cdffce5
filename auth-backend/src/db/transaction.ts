import type pg from 'pg';

/** A pool or one transaction's client: table modules that take it run inside the caller's transaction. */
export type Queryable = pg.Pool | pg.ClientBase;

/** One transaction's client, handed to the table modules of a use case that must commit as one. */
export type Transaction = pg.ClientBase;

/** Runs `work` in one transaction (COMMIT when it resolves, ROLLBACK when it throws). */
export type Transactions = <T>(work: (tx: Transaction) => Promise<T>) => Promise<T>;

/**
 * Runs `work` in one transaction on a client of its own: COMMIT when it resolves, ROLLBACK when
 * it throws. After a failure the connection is discarded rather than returned to the pool.
 */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let failure: Error | undefined;
  // While checked out a client has no listener of the pool's: a server that goes away between two
  // statements (a restart, pg_terminate_backend) would emit 'error' to no one and kill the process.
  // Noted here instead; the next statement fails (a 503) and the client is discarded.
  const lost = (error: Error) => void (failure ??= error);
  client.on('error', lost);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.removeListener('error', lost);
    client.release(failure);
  }
}

/** The transaction runner that use cases receive instead of the pool. */
export const transactionsOn =
  (pool: pg.Pool): Transactions =>
  (work) =>
    withTransaction(pool, work);
