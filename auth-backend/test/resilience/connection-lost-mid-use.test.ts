/**
 * A connection that the server drops while we hold it (a database restart, a failover,
 * pg_terminate_backend) between two statements: pg emits 'error' on that client. A client checked
 * out of the pool has no listener of the pool's, so without one of ours the process dies of an
 * uncaught error and every request it had in flight is lost (what the swarm's database-restart
 * test met under load: 502s and reset connections). The statement that follows must fail instead,
 * as a database-unavailable error (503), and the pool must go on serving.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { withClient } from '../../src/db/connection';
import { createDatabase, type Database } from '../../src/db/database';
import { translateDatabaseError } from '../../src/db/database-errors';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/** Ends the server process behind `client` from another connection and waits until pg has seen it. */
async function dropConnection(database: TestDatabase, client: pg.ClientBase): Promise<void> {
  const [row] = await (client as pg.Client).query<{ pid: number }>('SELECT pg_backend_pid() AS pid').then((result) => result.rows);
  const [terminated] = await database.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [row!.pid]);
  expect(terminated!.ok).toBe(true);
  // The server's FATAL message and the socket's end reach pg on their own, with no query running.
  await sleep(300);
}

describe('a connection dropped by the server between two statements', () => {
  let database: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDatabase(database.url, { max: 2 });
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it('fails the transaction as "database unavailable", not the process, and the pool goes on serving', async () => {
    const outcome = db.transaction(async (tx) => {
      await dropConnection(database, tx);
      return tx.query('SELECT 1 AS one');
    });
    const error = await outcome.then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(error).toBeInstanceOf(Error);
    expect(translateDatabaseError(error)?.code).toBe('database_unavailable');

    // The broken client was discarded, not handed to the next caller.
    for (let i = 0; i < 4; i++) {
      await expect(db.transaction((tx) => tx.query('SELECT 1 AS one').then((result) => result.rows))).resolves.toEqual([{ one: 1 }]);
    }
  });

  it('fails a dedicated connection (withClient) the same way', async () => {
    const error = await withClient(database.url, async (client) => {
      await dropConnection(database, client);
      return client.query('SELECT 1 AS one');
    }).then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(translateDatabaseError(error)?.code).toBe('database_unavailable');
  });
});
