import pg from 'pg';
import { mayRetry, type FailedAt } from './retry-rule';

export interface FailoverOptions {
  /**
   * How long a call that failed retryably (db/retry-rule.ts) waits for a new connection to a writable
   * primary before it runs again, in ms; 0 never retries. A failed wait makes later calls fail at once
   * (503) until a connection succeeds again, so that an outage does not hold every request that long.
   */
  retryWaitMs: number;
}

const POLL_MS = 250;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A pg pool that survives a failover or switchover of the database by itself: a call (one statement, or
 * one transaction through withTransaction) that failed where running it again is safe (db/retry-rule.ts)
 * waits a bounded moment for a new connection to a writable server and runs once more. Connections older
 * than the failure are discarded on the way (they led to the old primary).
 */
export class FailoverPool extends pg.Pool {
  private readonly born = new WeakMap<pg.PoolClient, number>();
  private waitFailed = false;
  /** When the calls now waiting for a new primary began to fail; undefined when none waits. */
  private troubleSince: number | undefined;

  constructor(
    config: pg.PoolConfig,
    private readonly failover: FailoverOptions,
  ) {
    super(config);
    this.on('connect', (client) => {
      this.born.set(client, Date.now());
      this.waitFailed = false;
    });
  }

  /** Whether `error`, met at `at`, is worth a retry here (retries on, and no wait already failed). */
  retries(error: unknown, at: FailedAt): boolean {
    return this.failover.retryWaitMs > 0 && !this.waitFailed && mayRetry(error, at);
  }

  /**
   * Whether calls are riding out a failover right now: one failed retryably less than the retry wait ago
   * and waits for the new primary. Readiness stays up meanwhile: a request sent now waits and succeeds.
   */
  ridingOut(): boolean {
    return this.troubleSince !== undefined && !this.waitFailed && Date.now() - this.troubleSince < this.failover.retryWaitMs;
  }

  /**
   * A connection made after `failedAt` to a server that is not in recovery, within the retry wait;
   * rethrows `error` (the original failure) when there is none by then.
   */
  async connectAfter(failedAt: number, error: unknown): Promise<pg.PoolClient> {
    this.troubleSince ??= failedAt;
    const deadline = failedAt + this.failover.retryWaitMs;
    while (Date.now() < deadline) {
      let client: pg.PoolClient | undefined;
      const ignore = () => undefined;
      try {
        client = await this.connect();
        client.on('error', ignore);
        if ((this.born.get(client) ?? 0) >= failedAt) {
          const { rows } = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
          if (!rows[0]?.standby) {
            this.troubleSince = undefined;
            return client;
          }
        }
        // An older connection (it led to the old primary), or a server still in recovery.
        client.release(true);
      } catch {
        client?.release(true);
      } finally {
        client?.removeListener('error', ignore);
      }
      await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
    }
    this.waitFailed = true;
    this.troubleSince = undefined;
    throw error;
  }

  // pg's query() has many overloads; the promise forms (what the table modules use) get the retry rule,
  // the callback forms are left as pg has them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    if (typeof args[args.length - 1] === 'function' || this.failover.retryWaitMs <= 0) {
      return (super.query as (...a: unknown[]) => unknown)(...args);
    }
    return this.statement(args);
  }

  /** One statement sent alone: it commits by itself, so a lost result is never retried. */
  private async statement(args: unknown[]): Promise<unknown> {
    let client: pg.PoolClient;
    try {
      client = await this.connect();
    } catch (error) {
      if (!this.retries(error, 'connect')) throw error;
      return this.run(await this.connectAfter(Date.now(), error), args);
    }
    const sentAt = Date.now();
    try {
      return await this.run(client, args);
    } catch (error) {
      if (!this.retries(error, 'commit')) throw error;
      return this.run(await this.connectAfter(sentAt, error), args);
    }
  }

  /** `client.query(...args)`, then releases the client (discarded after a failure, as pg's pool.query does). */
  private async run(client: pg.PoolClient, args: unknown[]): Promise<unknown> {
    // A checked-out client whose connection ends emits 'error' besides failing its query: listened to
    // here, or the process would die of it.
    const ignore = () => undefined;
    client.on('error', ignore);
    try {
      const result = await (client.query as (...a: unknown[]) => Promise<unknown>)(...args);
      client.release();
      return result;
    } catch (error) {
      client.release(error instanceof Error ? error : true);
      throw error;
    } finally {
      client.removeListener('error', ignore);
    }
  }
}
