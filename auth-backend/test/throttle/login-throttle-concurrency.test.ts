/**
 * Throttles under concurrency (finding 4 of issue 13): guesses sent at once, to two replicas on one
 * database, count exactly like guesses sent one after another.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createService } from '../../src/app';
import { AddressDigests } from '../../src/crypto/address-digest';
import { createDatabase } from '../../src/db/database';
import { createLogger } from '../../src/logger';
import { createTestApp, registerUser, uniqueEmail, STRONG_PASSWORD, type TestApp } from '../support/test-app';

const FREE_FAILURES = 5;

async function listen(app: Express): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const login = (url: string, body: object) =>
  fetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (response) => {
    await response.arrayBuffer();
    return response.status;
  });

const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((counts, status) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {});

describe('POST /auth/login under concurrency, two replicas on one database', () => {
  let t: TestApp;
  let replicaDb: ReturnType<typeof createDatabase>;
  let replicas: Array<{ url: string; close(): Promise<void> }>;
  beforeAll(async () => {
    t = await createTestApp({ THROTTLE_ACCOUNT_FREE_FAILURES: String(FREE_FAILURES), THROTTLE_ACCOUNT_MAX_DELAY: '60', THROTTLE_IP_MAX: '10000' });
    replicaDb = createDatabase(t.database.url);
    const other = createService({ config: t.config, logger: createLogger({ level: 'silent', pretty: false }), db: replicaDb });
    replicas = [await listen(t.app), await listen(other.app)];
  });
  afterAll(async () => {
    for (const replica of replicas ?? []) await replica.close();
    await replicaDb?.close();
    await t?.close();
  });

  it('lets exactly the free failures of 30 simultaneous wrong-password logins reach the password check; the rest get 429', async () => {
    const { email } = await registerUser(t.app);
    const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => login(replicas[i % 2]!.url, { email, password: `wrong guess number ${i}` })));
    expect(tally(statuses)).toEqual({ 401: FREE_FAILURES, 429: 30 - FREE_FAILURES });
    const key = new AddressDigests(t.config.keys.encryptionKey).digest(email, 'login-throttle');
    const [row] = await t.database.query<{ failures: number }>('SELECT failures FROM login_failure WHERE key = $1', [key]);
    expect(row!.failures).toBe(FREE_FAILURES);
    // The account is in its delay now: even the right password waits, like after serial guesses.
    expect(await login(replicas[0]!.url, { email, password: STRONG_PASSWORD })).toBe(429);
  });

  it('counts an unknown email the same way (no enumeration through the throttle)', async () => {
    const email = uniqueEmail('ghost');
    const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => login(replicas[i % 2]!.url, { email, password: `wrong guess number ${i}` })));
    expect(tally(statuses)).toEqual({ 401: FREE_FAILURES, 429: 30 - FREE_FAILURES });
  });

  it('still lets the right password in among simultaneous wrong ones while free failures remain', async () => {
    const { email } = await registerUser(t.app);
    const statuses = await Promise.all([
      login(replicas[0]!.url, { email, password: STRONG_PASSWORD }),
      login(replicas[1]!.url, { email, password: 'wrong guess number 1' }),
      login(replicas[0]!.url, { email, password: 'wrong guess number 2' }),
    ]);
    expect(statuses[0]).toBe(200);
    expect(statuses.slice(1).every((status) => status === 401)).toBe(true);
  });
});

describe('POST /auth/login per client IP under concurrency', () => {
  it('allows exactly THROTTLE_IP_MAX of 30 simultaneous attempts', async () => {
    const t = await createTestApp({ THROTTLE_IP_MAX: '10', THROTTLE_IP_WINDOW: '60' });
    const server = await listen(t.app);
    try {
      const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => login(server.url, { email: uniqueEmail(), password: `guess ${i} is wrong` })));
      expect(tally(statuses)).toEqual({ 401: 10, 429: 20 });
    } finally {
      await server.close();
      await t.close();
    }
  });
});
