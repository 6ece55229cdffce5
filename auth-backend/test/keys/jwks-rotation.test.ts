/**
 * A resource server that knows only our JWKS URL verifies our access tokens with jose (a library
 * nobody here wrote), before, across and after a rotation made with the real operator command.
 */
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { createTestApp, registerUser, STRONG_PASSWORD, type TestApp } from '../support/test-app';
import { decryptedPrivateKey, headerOf, keyEnv, listen, runKeysCommand, sleepUntil, storedKeys, waitUntil } from '../support/signing-keys';

// Rotation publishes a key KEY_REFRESH_INTERVAL + JWKS_MAX_AGE = 4 s before it signs; a
// rotated-out key verifies ACCESS_TOKEN_TTL + KEY_REFRESH_INTERVAL = 9 s after that.
const env = keyEnv({ ACCESS_TOKEN_TTL: '8', JWKS_MAX_AGE: '3' });

describe('GET /.well-known/jwks.json with JWT_ALGORITHM=ES256', () => {
  let t: TestApp;
  let server: { url: string; close(): Promise<void> };
  let jwks: JWTVerifyGetKey;

  beforeAll(async () => {
    t = await createTestApp(env);
    await t.service.lifecycle.start();
    server = await listen(t.app);
    // A verifier that honours a short cache and refetches when it meets an unknown kid.
    jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`), { cacheMaxAge: 1000, cooldownDuration: 0 });
  });
  afterAll(async () => {
    await server.close();
    await t.close();
  });

  const resourceServer = (token: string) => jwtVerify(token, jwks, { issuer: 'auth-backend', audience: 'auth-backend', typ: 'at+jwt', algorithms: ['ES256'] });
  const login = async (email: string) =>
    (await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(200)).body.accessToken as string;
  const publishedKids = async () =>
    ((await request(t.app).get('/.well-known/jwks.json').expect(200)).body.keys as Array<{ kid: string }>).map((key) => key.kid);
  const me = (token: string) => request(t.app).get('/auth/me').set('Authorization', `Bearer ${token}`);

  it('publishes public keys only, cacheable, and every token names its key', async () => {
    const { accessToken } = await registerUser(t.app);
    const response = await request(t.app).get('/.well-known/jwks.json').expect(200);
    expect(response.headers['cache-control']).toBe('public, max-age=3');
    expect(response.body.keys).toHaveLength(1);
    const [key] = response.body.keys;
    expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(headerOf(accessToken)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: key.kid });
    const { payload, protectedHeader } = await resourceServer(accessToken);
    expect(protectedHeader.kid).toBe(key.kid);
    expect(payload.sub).toEqual(expect.any(String));
  });

  it('keeps old tokens verifying across a rotation, signs with the new key after it is published, and retires the old key', async () => {
    const { email } = await registerUser(t.app);
    const [oldKid] = await publishedKids();
    const before = await login(email);
    expect(headerOf(before).kid).toBe(oldKid);
    await resourceServer(before);

    // Rotate with the operator command, exactly as documented.
    const rotated = runKeysCommand('rotate', [], { DATABASE_URL: t.database.url, ...env });
    expect(rotated).toMatchObject({ status: 0, stderr: '' });
    const newRow = (await storedKeys(t.database)).find((row) => row.kid !== oldKid)!;
    expect(rotated.stdout).toContain(`new signing key ${newRow.kid}`);

    // Published before it signs: verifiers that cached the JWKS already hold it on its first token.
    await waitUntil('the new key in the JWKS', async () => ((await publishedKids()).includes(newRow.kid) ? true : undefined));
    expect(Date.now()).toBeLessThan(newRow.activatesAt.getTime());
    const lastOld = await login(email);
    if (Date.now() < newRow.activatesAt.getTime()) expect(headerOf(lastOld).kid).toBe(oldKid);

    await sleepUntil(newRow.activatesAt);
    const after = await waitUntil('a token with the new kid', async () => {
      const token = await login(email);
      return headerOf(token).kid === newRow.kid ? token : undefined;
    });
    expect((await resourceServer(after)).protectedHeader.kid).toBe(newRow.kid);
    // Tokens of the old key still verify (theirs and ours) until they expire.
    await resourceServer(before);
    await resourceServer(lastOld);
    await me(lastOld).expect(200);
    expect(await publishedKids()).toEqual(expect.arrayContaining([oldKid, newRow.kid]));

    // Retired: 8 s token lifetime + 1 s margin after the new key took over.
    const oldRow = (await storedKeys(t.database)).find((row) => row.kid === oldKid)!;
    await sleepUntil(new Date(newRow.activatesAt.getTime() + 9_500));
    expect(await publishedKids()).toEqual([newRow.kid]);
    // A token the old key signs now, unexpired, is refused: the key itself is no longer accepted.
    const { sub, sid } = jwt.decode(after) as { sub: string; sid: string };
    const forged = jwt.sign({ sid }, decryptedPrivateKey(oldRow, env), {
      algorithm: 'ES256',
      header: { alg: 'ES256', typ: 'at+jwt', kid: oldKid },
      subject: sub,
      issuer: 'auth-backend',
      audience: 'auth-backend',
      expiresIn: 600,
      jwtid: randomUUID(),
    });
    await me(forged).expect(401);
    await expect(resourceServer(forged)).rejects.toThrow();
    const fresh = await login(email);
    expect(headerOf(fresh).kid).toBe(newRow.kid);
    await me(fresh).expect(200);
    await resourceServer(fresh);
  });
});

describe('GET /.well-known/jwks.json with JWT_ALGORITHM=RS256', () => {
  it('publishes an RSA key and signs RS256 tokens that jose verifies', async () => {
    const t = await createTestApp(keyEnv({ JWT_ALGORITHM: 'RS256' }));
    const server = await listen(t.app);
    try {
      const { accessToken } = await registerUser(t.app);
      const { keys } = (await request(t.app).get('/.well-known/jwks.json').expect(200)).body;
      expect(keys).toEqual([{ kty: 'RSA', n: expect.any(String), e: 'AQAB', kid: headerOf(accessToken).kid, alg: 'RS256', use: 'sig' }]);
      const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
      await jwtVerify(accessToken, jwks, { issuer: 'auth-backend', audience: 'auth-backend', algorithms: ['RS256'] });
      await request(t.app).get('/auth/me').set('Authorization', `Bearer ${accessToken}`).expect(200);
    } finally {
      await server.close();
      await t.close();
    }
  });
});

describe('GET /.well-known/jwks.json with JWT_ALGORITHM=HS256 (the default)', () => {
  it('serves the key ring (ES256) that the OpenID Provider signs with (v4; v2 answered 404), while access tokens stay HS256 without a kid', async () => {
    const t = await createTestApp();
    try {
      const response = await request(t.app).get('/.well-known/jwks.json').expect(200);
      expect(response.body.keys).toEqual([expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: expect.any(String) })]);
      expect(JSON.stringify(response.body)).not.toMatch(/"d"/);
      const { accessToken } = await registerUser(t.app);
      expect(headerOf(accessToken)).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    } finally {
      await t.close();
    }
  });
});
