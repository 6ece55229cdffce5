import request from 'supertest';
import { createTestApp, registerUser, type TestApp } from '../support/test-app';
import { headerOf, keyEnv, runKeysCommand, storedKeys, waitUntil } from '../support/signing-keys';

describe('emergency revocation of a leaked signing key', () => {
  const env = keyEnv();
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(env);
    await t.service.lifecycle.start();
  });
  afterAll(() => t.close());

  const me = (token: string) => request(t.app).get('/auth/me').set('Authorization', `Bearer ${token}`);
  const kids = async () => ((await request(t.app).get('/.well-known/jwks.json').expect(200)).body.keys as Array<{ kid: string }>).map((k) => k.kid);

  it('keys:rotate -- --revoke-current refuses the current key within a refresh interval and signs with a new one at once', async () => {
    const { accessToken, refreshToken } = await registerUser(t.app);
    const leaked = headerOf(accessToken).kid!;
    // Verified (and remembered by this process) before the revocation: it must not outlive it.
    await me(accessToken).expect(200);
    const result = runKeysCommand('rotate', ['--revoke-current'], { DATABASE_URL: t.database.url, ...env });
    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(result.stdout).toContain(`revoked ${leaked}`);

    await waitUntil('the leaked key to be refused', async () => ((await me(accessToken)).status === 401 ? true : undefined), 15_000);
    expect(await kids()).not.toContain(leaked);
    // Clients recover by refreshing: the refresh token is not tied to a signing key.
    const renewed = (await request(t.app).post('/auth/refresh').send({ refreshToken }).expect(200)).body.accessToken as string;
    expect(headerOf(renewed).kid).not.toBe(leaked);
    await me(renewed).expect(200);
  });

  it('keys:revoke -- <kid> of the signing key revokes it and signs with a replacement; an unknown kid exits 1', async () => {
    const { accessToken } = await registerUser(t.app);
    const current = headerOf(accessToken).kid!;
    await me(accessToken).expect(200);
    const result = runKeysCommand('revoke', [current], { DATABASE_URL: t.database.url, ...env });
    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(result.stdout).toMatch(/it was signing: new signing key/);
    await waitUntil('the revoked key to be refused', async () => ((await me(accessToken)).status === 401 ? true : undefined), 15_000);
    const rows = await storedKeys(t.database);
    expect(rows.filter((row) => !row.revokedAt)).toHaveLength(1);

    const unknown = runKeysCommand('revoke', ['no-such-kid'], { DATABASE_URL: t.database.url, ...env });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/no unrevoked key no-such-kid/);
    expect(await storedKeys(t.database)).toEqual(rows);
  });

  it('refuses bad arguments without changing anything', async () => {
    const before = await storedKeys(t.database);
    const bad = runKeysCommand('rotate', ['--now'], { DATABASE_URL: t.database.url, ...env });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/unknown argument/);
    expect(await storedKeys(t.database)).toEqual(before);
  });

  it('with JWT_ALGORITHM=HS256 manages the key ring of the OpenID Provider (v4: it exists in every mode; v3 refused)', async () => {
    const before = await storedKeys(t.database);
    const hs = runKeysCommand('rotate', [], { DATABASE_URL: t.database.url, ...env, JWT_ALGORITHM: 'HS256' });
    expect(hs).toMatchObject({ status: 0, stderr: '' });
    const after = await storedKeys(t.database);
    expect(after).toHaveLength(before.length + 1);
    expect(after.filter((row) => !before.some((old) => old.kid === row.kid)).map((row) => row.algorithm)).toEqual(['ES256']);
  });
});
