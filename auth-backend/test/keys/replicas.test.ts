/**
 * Two service processes on one database agree on the signing key through the database: after
 * `npm run keys:rotate` both sign with the new key within the bound, and each verifies the
 * other's tokens throughout.
 */
import { spawnService, type ServiceProcess } from '../support/service-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { uniqueEmail, STRONG_PASSWORD } from '../support/test-app';
import { headerOf, keyEnv, runKeysCommand, storedKeys } from '../support/signing-keys';

interface Pair {
  accessToken: string;
  refreshToken: string;
}

describe('two replicas and keys:rotate (JWT_ALGORITHM=ES256)', () => {
  let db: TestDatabase;
  const replicas: ServiceProcess[] = [];
  const bases: string[] = [];
  // Published 2 s (refresh 1 s + JWKS max-age 1 s) before it signs.
  const env = keyEnv({ ACCESS_TOKEN_TTL: '120' });

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
    // Started together: the first key is created once, under the signing-key lock.
    for (let i = 0; i < 2; i++) replicas.push(spawnService({ DATABASE_URL: db.url, ...env }));
    for (const replica of replicas) bases.push(`http://127.0.0.1:${await replica.waitForPort(60_000)}`);
  });
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await db.drop();
  });

  const call = async (base: string, path: string, init: { token?: string; body?: object } = {}) => {
    const response = await fetch(`${base}${path}`, {
      method: init.body ? 'POST' : 'GET',
      headers: { 'Content-Type': 'application/json', ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}) },
      body: init.body ? JSON.stringify(init.body) : undefined,
    });
    return { status: response.status, body: (await response.json().catch(() => undefined)) as Pair };
  };
  const refresh = async (base: string, pair: Pair): Promise<Pair> => {
    const { status, body } = await call(base, '/auth/refresh', { body: { refreshToken: pair.refreshToken } });
    expect(status).toBe(200);
    return body;
  };
  /** Each replica accepts the token (whoever signed it). */
  const expectAcceptedByBoth = async (token: string) => {
    for (const base of bases) expect({ base, status: (await call(base, '/auth/me', { token })).status }).toEqual({ base, status: 200 });
  };

  it('both sign with the new key within the bound and accept each other’s tokens throughout', async () => {
    expect(await storedKeys(db)).toHaveLength(1);
    const email = uniqueEmail('replicas');
    const registered = await call(bases[0]!, '/auth/register', { body: { email, password: STRONG_PASSWORD } });
    expect(registered.status).toBe(201);
    const loggedIn = await call(bases[1]!, '/auth/login', { body: { email, password: STRONG_PASSWORD } });
    expect(loggedIn.status).toBe(200);
    let pairs = [registered.body, loggedIn.body];
    const oldTokens = pairs.map((pair) => pair.accessToken);
    const [oldKid] = oldTokens.map((token) => headerOf(token).kid);
    expect(oldTokens.map((token) => headerOf(token).kid)).toEqual([oldKid, oldKid]);
    for (const token of oldTokens) await expectAcceptedByBoth(token);

    const rotated = runKeysCommand('rotate', [], { DATABASE_URL: db.url, ...env });
    expect(rotated).toMatchObject({ status: 0, stderr: '' });
    const newKey = (await storedKeys(db)).find((row) => row.kid !== oldKid)!;
    // The bound: the activation instant (all replicas switch on it once they have read the key) plus
    // one refresh interval for a replica a read late, plus slack for a loaded machine.
    const bound = newKey.activatesAt.getTime() + 1_000 + 10_000;

    /** The `iat` (seconds) of each replica's first token signed with the new key. */
    const switchedAt: Array<number | undefined> = [undefined, undefined];
    const activatesAtSecond = Math.floor(newKey.activatesAt.getTime() / 1000);
    while (switchedAt.some((at) => at === undefined)) {
      expect(Date.now()).toBeLessThan(bound);
      pairs = await Promise.all(pairs.map((pair, i) => refresh(bases[i]!, pair)));
      for (const [i, pair] of pairs.entries()) {
        const { kid } = headerOf(pair.accessToken);
        expect([oldKid, newKey.kid]).toContain(kid);
        const { iat } = JSON.parse(Buffer.from(pair.accessToken.split('.')[1]!, 'base64url').toString()) as { iat: number };
        if (kid === newKey.kid) switchedAt[i] ??= iat;
        else {
          expect(switchedAt[i]).toBeUndefined();
          // Signed with the old key: not after the second in which the new one activated.
          expect(iat).toBeLessThanOrEqual(activatesAtSecond);
        }
        await expectAcceptedByBoth(pair.accessToken);
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    // Nobody signed with the new key before its activation instant (it was published first):
    // judged by when each token says it was signed, not by when the test happened to see it.
    for (const iat of switchedAt) expect(iat!).toBeGreaterThanOrEqual(activatesAtSecond);
    // Tokens of the old key keep working on both until they expire.
    for (const token of oldTokens) await expectAcceptedByBoth(token);
    for (const replica of replicas) expect(replica.output()).toMatch(/signing keys: signing with a new key/);
  });
});
