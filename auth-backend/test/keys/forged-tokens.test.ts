import { createPublicKey, createSecretKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createTestApp, registerUser, type TestApp } from '../support/test-app';
import { decryptedPrivateKey, headerOf, keyEnv, storedKeys } from '../support/signing-keys';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('GET /auth/me with ES256 access tokens: forgeries', () => {
  const env = keyEnv();
  let t: TestApp;
  let claims: { sub: string; sid: string };
  let kid: string;
  let ourKey: KeyObject;
  let ourPublicPem: string;

  beforeAll(async () => {
    t = await createTestApp(env);
    const { accessToken } = await registerUser(t.app);
    claims = jwt.decode(accessToken) as { sub: string; sid: string };
    kid = headerOf(accessToken).kid!;
    const [row] = await storedKeys(t.database);
    ourKey = decryptedPrivateKey(row!, env);
    ourPublicPem = createPublicKey(ourKey).export({ type: 'spki', format: 'pem' }).toString();
  });
  afterAll(() => t.close());

  const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const sign = (key: KeyObject, header: Record<string, unknown>, algorithm: jwt.Algorithm = 'ES256', payload: object = {}) =>
    jwt.sign({ sid: claims.sid, jti: randomUUID(), ...payload }, key, {
      algorithm,
      header: { alg: algorithm, typ: 'at+jwt', ...header } as jwt.JwtHeader,
      subject: claims.sub,
      issuer: 'auth-backend',
      audience: 'auth-backend',
      expiresIn: 600,
    });
  const me = (token: string) => request(t.app).get('/auth/me').set('Authorization', `Bearer ${token}`);

  it('accepts a token signed with our key and kid (control)', async () => {
    await me(sign(ourKey, { kid })).expect(200);
  });

  it.each([
    ['alg switched to HS256 with our public key as the secret', () => sign(createSecretKey(Buffer.from(ourPublicPem)), { kid }, 'HS256')],
    [
      'alg none with our kid',
      () => `${b64({ alg: 'none', typ: 'at+jwt', kid })}.${b64({ ...claims, jti: 'x', iss: 'auth-backend', aud: 'auth-backend', exp: 9e9 })}.`,
    ],
    ['an unknown kid (attacker key)', () => sign(attacker.privateKey, { kid: 'attacker-key-1' })],
    ['our kid, signed by the attacker key', () => sign(attacker.privateKey, { kid })],
    ['no kid at all', () => sign(ourKey, {})],
    ['an embedded jwk of the attacker key', () => sign(attacker.privateKey, { kid, jwk: attacker.publicKey.export({ format: 'jwk' }) })],
    ['a jku pointing elsewhere', () => sign(attacker.privateKey, { kid: 'attacker-key-1', jku: 'https://evil.example/jwks.json' })],
    ['an x5u pointing elsewhere', () => sign(attacker.privateKey, { kid: 'attacker-key-1', x5u: 'https://evil.example/cert.pem' })],
    ['a jku next to our own valid signature', () => sign(ourKey, { kid, jku: 'https://evil.example/jwks.json' })],
    ['RS256 with our kid (algorithm substitution)', () => sign(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, { kid }, 'RS256')],
    ['an iat 5 minutes in the future', () => sign(ourKey, { kid }, 'ES256', { iat: Math.floor(Date.now() / 1000) + 300 })],
  ])('refuses %s with 401', async (_case, forge) => {
    const response = await me(forge()).expect(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(response.body).toMatchObject({ status: 401, code: 'unauthenticated' });
  });
});
