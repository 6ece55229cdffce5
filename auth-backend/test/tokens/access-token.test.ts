import { createSecretKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createTestApp, registerUser, TEST_JWT_SECRET, type TestApp } from '../support/test-app';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const ourKey = createSecretKey(Buffer.from(TEST_JWT_SECRET));

describe('GET /auth/me access token checks', () => {
  let t: TestApp;
  let claims: { sub: string; sid: string };
  let valid: string;

  beforeAll(async () => {
    t = await createTestApp();
    const registered = await registerUser(t.app);
    valid = registered.accessToken;
    const decoded = jwt.decode(valid) as { sub: string; sid: string };
    claims = { sub: decoded.sub, sid: decoded.sid };
  });
  afterAll(() => t.close());

  const sign = (options: {
    key?: jwt.Secret | KeyObject;
    payload?: object;
    header?: object;
    algorithm?: jwt.Algorithm;
    expiresIn?: number | null;
    issuer?: string;
    audience?: string;
  }) => {
    const payload = { sid: claims.sid, sub: claims.sub, jti: randomUUID(), ...options.payload };
    return jwt.sign(payload, (options.key ?? ourKey) as jwt.Secret, {
      algorithm: options.algorithm ?? 'HS256',
      header: { alg: options.algorithm ?? 'HS256', typ: 'at+jwt', ...options.header } as jwt.JwtHeader,
      ...(options.expiresIn === null ? {} : { expiresIn: options.expiresIn ?? 600 }),
      issuer: options.issuer ?? 'auth-backend',
      audience: options.audience ?? 'auth-backend',
    });
  };
  const me = (token?: string) => {
    const call = request(t.app).get('/auth/me');
    return token === undefined ? call : call.set('Authorization', `Bearer ${token}`);
  };

  it('accepts the token it issued, and a token it signs the same way (control)', async () => {
    await me(valid).expect(200);
    await me(sign({})).expect(200);
  });

  it.each([
    [
      'alg none',
      () =>
        `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({ ...claims, jti: 'x', exp: Math.floor(Date.now() / 1000) + 600, iss: 'auth-backend', aud: 'auth-backend' })}.`,
    ],
    ['an expired token', () => sign({ expiresIn: -10 })],
    ['a token without exp', () => sign({ expiresIn: null })],
    ['a wrong audience', () => sign({ audience: 'another-service' })],
    ['a wrong issuer', () => sign({ issuer: 'https://evil.example' })],
    ['another secret', () => sign({ key: createSecretKey(Buffer.from('another-secret-of-at-least-32-bytes-long!!')) })],
    ['typ JWT instead of at+jwt', () => sign({ header: { typ: 'JWT' } })],
    ['HS384 with our secret', () => sign({ algorithm: 'HS384' })],
    [
      'a tampered payload',
      () => {
        const [header, , signature] = valid.split('.');
        const payload = JSON.parse(Buffer.from(valid.split('.')[1]!, 'base64url').toString());
        return `${header}.${b64({ ...payload, sub: randomUUID() })}.${signature}`;
      },
    ],
    [
      'RS256 signed with an attacker key (alg substitution)',
      () => sign({ key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, algorithm: 'RS256' }),
    ],
    [
      'HS256 keyed with a public key PEM (RS/HS confusion)',
      () => {
        const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        return sign({ key: createSecretKey(Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }))) });
      },
    ],
    [
      'an embedded jwk header pointing at the attacker key',
      () => {
        const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        return sign({ key: privateKey, algorithm: 'RS256', header: { jwk: publicKey.export({ format: 'jwk' }), jku: 'https://evil.example/jwks' } });
      },
    ],
    ['garbage', () => 'not.a.jwt'],
  ])('refuses %s with 401, a problem body and WWW-Authenticate', async (_case, makeToken) => {
    const response = await me(makeToken()).expect(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 401 });
  });

  it('refuses a token issued more than 30 s in the future (clock skew tolerance), accepts one within it', async () => {
    const now = Math.floor(Date.now() / 1000);
    await me(sign({ payload: { iat: now + 120 } })).expect(401);
    await me(sign({ payload: { iat: now + 10 } })).expect(200);
  });

  it('refuses a missing Authorization header with 401 and WWW-Authenticate: Bearer', async () => {
    const response = await me().expect(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="auth-backend"');
    await request(t.app)
      .get('/auth/me')
      .set('Authorization', `Basic ${Buffer.from('a:b').toString('base64')}`)
      .expect(401);
  });

  it('refuses the token of a deleted user', async () => {
    const { accessToken, user } = await registerUser(t.app);
    await me(accessToken).expect(200);
    await t.database.query('DELETE FROM "user" WHERE id = $1', [user.id]);
    await me(accessToken).expect(401);
  });
});
