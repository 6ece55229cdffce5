import { Statement, withFragments } from '../../src/db/statement';
import request from 'supertest';
import { createDatabase } from '../../src/db/database';
import { createApp } from '../../src/app';
import { createLogger } from '../../src/logger';
import { ACCOUNT_FAILURE_LIMITS } from '../../src/throttle/login-throttle';
import { createTestApp, registerUser, uniqueEmail, STRONG_PASSWORD, type TestApp } from '../support/test-app';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('login throttling per client IP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ THROTTLE_IP_MAX: '3', THROTTLE_IP_WINDOW: '2' });
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After and RateLimit fields past the limit, then recovers after the window', async () => {
    const body = { email: uniqueEmail(), password: 'whatever it is here' };
    const first = await request(t.app).post('/auth/login').send(body).expect(401);
    expect(first.headers['ratelimit-limit']).toBe('3');
    expect(first.headers['ratelimit-remaining']).toBe('2');
    await request(t.app).post('/auth/login').send(body).expect(401);
    await request(t.app).post('/auth/login').send(body).expect(401);
    const throttled = await request(t.app).post('/auth/login').send(body).expect(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(throttled.headers['ratelimit-remaining']).toBe('0');
    expect(throttled.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(throttled.body).toMatchObject({ status: 429, title: 'Too many requests' });

    await sleep(2100);
    await request(t.app).post('/auth/login').send(body).expect(401);
  });

  it('keys on the socket address: a spoofed X-Forwarded-For does not reset the count (no trust proxy)', async () => {
    await sleep(2100);
    const body = { email: uniqueEmail(), password: 'whatever it is here' };
    for (let i = 0; i < 3; i++) await request(t.app).post('/auth/login').set('X-Forwarded-For', `203.0.113.${i}`).send(body).expect(401);
    await request(t.app).post('/auth/login').set('X-Forwarded-For', '198.51.100.7').send(body).expect(429);
  });

  it('keeps its counters in PostgreSQL, so another instance on the same database sees them', async () => {
    await sleep(2100);
    const body = { email: uniqueEmail(), password: 'whatever it is here' };
    for (let i = 0; i < 3; i++) await request(t.app).post('/auth/login').send(body).expect(401);
    const otherInstance = createDatabase(t.database.url);
    try {
      const otherApp = createApp({ config: t.config, logger: createLogger({ level: 'silent', pretty: false }), db: otherInstance });
      await request(otherApp).post('/auth/login').send(body).expect(429);
    } finally {
      await otherInstance.close();
    }
  });
});

describe('login throttling per account', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ THROTTLE_ACCOUNT_FREE_FAILURES: '2', THROTTLE_ACCOUNT_MAX_DELAY: '2' });
  });
  afterAll(() => t.close());

  it('delays an account after its free failures, with the generic 429 even for the right password, then lets it in', async () => {
    const { email } = await registerUser(t.app);
    await request(t.app).post('/auth/login').send({ email, password: 'wrong guess number 1' }).expect(401);
    await request(t.app).post('/auth/login').send({ email, password: 'wrong guess number 2' }).expect(401);
    const throttled = await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(429);
    expect(throttled.body.detail).toBe('Too many attempts; try again later.');
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    await sleep(1100);
    await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(200);
  });

  it('throttles an unknown email exactly like a known one (no enumeration)', async () => {
    const ghost = uniqueEmail('ghost');
    await request(t.app).post('/auth/login').send({ email: ghost, password: 'wrong guess number 1' }).expect(401);
    await request(t.app).post('/auth/login').send({ email: ghost, password: 'wrong guess number 2' }).expect(401);
    await request(t.app).post('/auth/login').send({ email: ghost, password: 'wrong guess number 3' }).expect(429);
  });

  it('resets the account counter on a successful login', async () => {
    const { email } = await registerUser(t.app);
    await request(t.app).post('/auth/login').send({ email, password: 'wrong guess number 1' }).expect(401);
    await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(200);
    await request(t.app).post('/auth/login').send({ email, password: 'wrong guess number 2' }).expect(401);
    // Only one failure since the success: still free.
    await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(200);
  });

  it('never allows more than 100 consecutive failures in a day, whatever the delays allow', async () => {
    // Delays so generous that only the daily cap can stop the 101st attempt.
    const generous = await createTestApp({ THROTTLE_ACCOUNT_FREE_FAILURES: '99', THROTTLE_ACCOUNT_MAX_DELAY: '1s', THROTTLE_IP_MAX: '10000' });
    try {
      const [capped, belowCap] = [await registerUser(generous.app), await registerUser(generous.app)];
      const fail = (email: string, i: number) =>
        request(generous.app)
          .post('/auth/login')
          .send({ email, password: `wrong guess number ${i}` });
      const cap = ACCOUNT_FAILURE_LIMITS.dailyCap;
      for (let i = 0; i < cap - 1; i++) {
        const [a, b] = await Promise.all([fail(capped.email, i), fail(belowCap.email, i)]);
        expect([a.status, b.status]).toEqual([401, 401]);
      }
      await sleep(1100); // past the one-second delay that the 99th failure earned
      await fail(capped.email, cap).expect(401);
      await sleep(1100); // past the delay again: only the cap remains
      await request(generous.app).post('/auth/login').send({ email: belowCap.email, password: STRONG_PASSWORD }).expect(200);
      const refused = await request(generous.app).post('/auth/login').send({ email: capped.email, password: STRONG_PASSWORD }).expect(429);
      // Blocked until the day's window is over, not for a delay.
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(23 * 3600);
    } finally {
      await generous.close();
    }
  });
});

describe('registration throttling per client IP', () => {
  it('answers 429 past the limit and creates no account', async () => {
    const t = await createTestApp({ THROTTLE_IP_MAX: '2', THROTTLE_IP_WINDOW: '60' });
    try {
      await request(t.app).post('/auth/register').send({ email: uniqueEmail(), password: STRONG_PASSWORD }).expect(201);
      await request(t.app).post('/auth/register').send({ email: uniqueEmail(), password: STRONG_PASSWORD }).expect(201);
      const email = uniqueEmail();
      await request(t.app).post('/auth/register').send({ email, password: STRONG_PASSWORD }).expect(429);
      expect(await t.database.query('SELECT 1 FROM "user" WHERE email = $1', [email])).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describe('login throttling behind a proxy (TRUST_PROXY=1)', () => {
  it('keys on the address the proxy saw: entries a client prepends to X-Forwarded-For change nothing', async () => {
    const t = await createTestApp({ THROTTLE_IP_MAX: '2', THROTTLE_IP_WINDOW: '60', TRUST_PROXY: '1' });
    try {
      const body = { email: uniqueEmail(), password: 'whatever it is here' };
      const via = (forwarded: string) => request(t.app).post('/auth/login').set('X-Forwarded-For', forwarded).send(body);
      await via('198.51.100.1, 203.0.113.9').expect(401);
      await via('198.51.100.2, 203.0.113.9').expect(401);
      await via('198.51.100.3, 203.0.113.9').expect(429);
      await via('203.0.113.10').expect(401);
    } finally {
      await t.close();
    }
  });
});

describe('the rate_limit table', () => {
  it('counts alike through the library (consume) and as a fragment of another statement (counting), window and limit included', async () => {
    const t = await createTestApp();
    try {
      const windows = t.service.services.windows;
      const limit = windows.create('fragment-test', 3, 60, 'Too many.');
      const key = `k-${Date.now()}`;
      const counted = async () => {
        const statement = new Statement();
        const text = withFragments(statement, [limit.counting(key, 'within')], [], 'SELECT EXISTS (SELECT 1 FROM within) AS within');
        const { rows } = await t.db.pool.query<{ within: boolean }>(text, statement.values);
        return rows[0]!.within;
      };
      const points = async () =>
        (await t.database.query<{ points: number; expire: string }>(`SELECT points, expire FROM rate_limit WHERE key = $1`, [`fragment-test:${key}`]))[0];

      expect(await counted()).toBe(true);
      expect((await limit.consume(key)).remaining).toBe(1);
      const expire = (await points())!.expire;
      expect(await counted()).toBe(true);
      expect(await points()).toEqual({ points: 3, expire }); // one window: its expiry stays
      expect(await counted()).toBe(false); // the fourth is past the limit...
      await expect(limit.consume(key)).rejects.toMatchObject({ status: 429 }); // ...as the library says of the fifth
      expect((await points())!.points).toBe(5);
      // An expired window starts again at 1, with a new expiry, whichever counts.
      await t.database.query(`UPDATE rate_limit SET expire = $2 WHERE key = $1`, [`fragment-test:${key}`, Date.now() - 1]);
      expect(await counted()).toBe(true);
      expect((await points())!.points).toBe(1);
      expect(Number((await points())!.expire)).toBeGreaterThan(Date.now() + 50_000);
      await t.database.query(`UPDATE rate_limit SET expire = $2 WHERE key = $1`, [`fragment-test:${key}`, Date.now() - 1]);
      expect((await limit.consume(key)).remaining).toBe(2);
    } finally {
      await t.close();
    }
  });

  it('keeps live counters and loses those expired over an hour ago when pruned', async () => {
    const t = await createTestApp();
    try {
      const now = Date.now();
      await t.database.query(`INSERT INTO rate_limit (key, points, expire) VALUES ('stale', 1, $1), ('recent', 1, $2), ('live', 1, $3)`, [
        now - 2 * 3600_000,
        now - 60_000,
        now + 60_000,
      ]);
      await t.service.services.windows.prune();
      const keys = await t.database.query<{ key: string }>(`SELECT key FROM rate_limit WHERE key IN ('stale', 'recent', 'live') ORDER BY key`);
      expect(keys.map((row) => row.key)).toEqual(['live', 'recent']);
    } finally {
      await t.close();
    }
  });
});
