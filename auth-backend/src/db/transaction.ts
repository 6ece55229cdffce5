import type pg from 'pg';
import { FailoverPool } from './failover-pool';
import type { FailedAt } from './retry-rule';

/** A pool or one transaction's client: table modules that take it run inside the caller's transaction. */
export type Queryable = pg.Pool | pg.ClientBase;

/** One transaction's client, handed to the table modules of a use case that must commit as one. */
export type Transaction = pg.ClientBase;

/** Runs `work` in one transaction (COMMIT when it resolves, ROLLBACK when it throws). */
export type Transactions = <T>(work: (tx: Transaction) => Promise<T>) => Promise<T>;

/**
 * Runs `work` in one transaction on a client of its own: COMMIT when it resolves, ROLLBACK when
 * it throws. After a failure the connection is discarded rather than returned to the pool.
 * On a FailoverPool, a transaction that failed before its COMMIT was sent because the server went away
 * or was read-only (a failover, a switchover) runs once more on a new connection to the new primary
 * (db/retry-rule.ts); one whose COMMIT was in flight never does. `work` may therefore run twice: it
 * holds the transaction's statements only, no other side effect.
 */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const failover = pool instanceof FailoverPool ? pool : undefined;
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    if (!failover?.retries(error, 'connect')) throw error;
    return attempt(await failover.connectAfter(Date.now(), error), work).then(unwrap);
  }
  const startedAt = Date.now();
  const first = await attempt(client, work);
  if (first.ok || !failover?.retries(first.error, first.at)) return unwrap(first);
  return attempt(await failover.connectAfter(startedAt, first.error), work).then(unwrap);
}

type Attempt<T> = { ok: true; value: T } | { ok: false; error: unknown; at: FailedAt };

function unwrap<T>(outcome: Attempt<T>): T {
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}

/** One run of `work` in a transaction on `client`, which it always releases. */
async function attempt<T>(client: pg.PoolClient, work: (client: pg.PoolClient) => Promise<T>): Promise<Attempt<T>> {
  let failure: Error | undefined;
  let at: FailedAt = 'statement';
  // While checked out a client has no listener of the pool's: a server that goes away between two
  // statements (a restart, pg_terminate_backend) would emit 'error' to no one and kill the process.
  // Noted here instead; the next statement fails (a 503) and the client is discarded.
  const lost = (error: Error) => void (failure ??= error);
  client.on('error', lost);
  try {
    await client.query('BEGIN');
    const value = await work(client);
    at = 'commit';
    await client.query('COMMIT');
    return { ok: true, value };
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    await client.query('ROLLBACK').catch(() => undefined);
    return { ok: false, error, at };
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

/**
 * Lets this transaction's COMMIT return before its WAL is flushed (and, with a synchronous standby,
 * before the standby has it). Only for work whose answer must not tell whether it wrote anything:
 * the forgot-password request writes a token and a mail for a known address and nothing for an
 * unknown one, and a flushed commit takes measurably longer (an address-enumeration oracle). A
 * crash in the next fraction of a second can lose that request; the person asks again.
 */
export async function commitWithoutWaitingForFlush(tx: Transaction): Promise<void> {
  await tx.query('SET LOCAL synchronous_commit TO off');
}
