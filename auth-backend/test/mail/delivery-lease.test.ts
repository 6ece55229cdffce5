/**
 * The delivery worker leases a message, talks SMTP with no database connection or transaction
 * held, then records the outcome; committed mail wakes every replica's worker through NOTIFY.
 */
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createService } from '../../src/app';
import { createDatabase } from '../../src/db/database';
import { createLogger } from '../../src/logger';
import { registerUser } from '../support/test-app';
import { createMailTestApp, type MailTestApp } from '../support/mail-app';
import { eventually } from '../support/test-smtp';

const silent = () => createLogger({ level: 'silent', pretty: false, destination: new Writable({ write: (_c, _e, done) => done() }) });

describe('mail delivery by lease', () => {
  let t: MailTestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('holds no database connection or transaction while the SMTP server stalls, and sends the message once', async () => {
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    let stalls = 0;
    t = await createMailTestApp({}, { stall: () => (stalls++, stalled) });
    // A second replica's worker on the same database, polling every 200 ms.
    const replicaDb = createDatabase(t.database.url);
    const replica = createService({ config: t.config, logger: silent(), db: replicaDb });
    await replica.lifecycle.start();
    try {
      const { email } = await registerUser(t.app);
      await eventually(() => stalls > 0);
      // Mid-send, sampled for a second (several polls of both workers while the send hangs): a
      // connection or transaction held for the send would show in every sample; a poll's own brief
      // statement shows in a few at most.
      const samples = { total: 0, connectionHeld: 0, inTransaction: 0 };
      for (const until = Date.now() + 1_000; Date.now() < until; ) {
        samples.total++;
        if ([t.db.pool, replicaDb.pool].some((pool) => pool.totalCount - pool.idleCount > 0)) samples.connectionHeld++;
        const [row] = await t.database.query<{ count: number }>(
          `SELECT count(*)::int AS count FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
        );
        if (row!.count > 0) samples.inTransaction++;
        await sleep(10);
      }
      expect(samples.total).toBeGreaterThanOrEqual(10);
      expect(samples.connectionHeld / samples.total).toBeLessThan(0.5);
      expect(samples.inTransaction / samples.total).toBeLessThan(0.5);
      // The lease keeps the other replica away: one SMTP exchange so far.
      expect(stalls).toBe(1);
      release();
      await t.smtp.waitFor((mail) => mail.to === email);
      const [row] = await t.database.query<{ status: string; attempts: number }>(`SELECT status, attempts FROM mail_outbox WHERE recipient = $1`, [email]);
      expect(row).toEqual({ status: 'sent', attempts: 1 });
      expect(t.smtp.received.filter((mail) => mail.to === email)).toHaveLength(1);
    } finally {
      release();
      await replica.lifecycle.stop();
      await replicaDb.close();
    }
  });

  it("is woken at once by another replica's committed mail, long before its next poll", async () => {
    t = await createMailTestApp({ MAIL_POLL_INTERVAL: '60s' });
    // The replica that takes the request runs no delivery worker at all.
    const replicaDb = createDatabase(t.database.url);
    const replica = createService({ config: t.config, logger: silent(), db: replicaDb });
    try {
      await sleep(300); // the worker's first round and LISTEN are done
      const started = Date.now();
      const { email } = await registerUser(replica.app);
      await t.smtp.waitFor((mail) => mail.to === email, 1, 5_000);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await replicaDb.close();
    }
  });
});
