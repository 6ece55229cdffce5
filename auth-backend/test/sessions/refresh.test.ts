import request from 'supertest';
import { hashOpaqueToken } from '../../src/crypto/opaque-token';
import { createTestApp, registerUser, type TestApp } from '../support/test-app';

describe('POST /auth/refresh', () => {
  let t: TestApp;
  let now = new Date();
  beforeAll(async () => {
    t = await createTestApp({ REFRESH_TOKEN_TTL: '30d', REFRESH_TOKEN_IDLE_TTL: '7d' }, { clock: () => now });
  });
  beforeEach(() => {
    now = new Date();
  });
  afterAll(() => t.close());

  const refresh = (refreshToken: unknown) => request(t.app).post('/auth/refresh').send({ refreshToken });

  it('rotates: answers a new pair, and the new refresh token works once', async () => {
    const { refreshToken, user } = await registerUser(t.app);
    const response = await refresh(refreshToken).expect(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toMatchObject({ user: { id: user.id }, tokenType: 'Bearer', expiresIn: 900 });
    expect(response.body.refreshToken).not.toBe(refreshToken);
    await request(t.app).get('/auth/me').set('Authorization', `Bearer ${response.body.accessToken}`).expect(200);
    await refresh(response.body.refreshToken).expect(200);
  });

  it('stores refresh tokens only as hashes', async () => {
    const { refreshToken } = await registerUser(t.app);
    const rows = await t.database.query<{ tokenHash: string }>('SELECT "tokenHash" FROM refresh_token');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((row) => row.tokenHash)).not.toContain(refreshToken);
  });

  it('detects reuse: a rotated token answers 401 and revokes the family, so the newer token no longer works', async () => {
    const { refreshToken: first, accessToken } = await registerUser(t.app);
    const { body: second } = await refresh(first).expect(200);
    const reuse = await refresh(first).expect(401);
    expect(reuse.body).toMatchObject({ status: 401, title: 'Invalid refresh token' });
    await refresh(second.refreshToken).expect(401);
    await request(t.app).get('/auth/me').set('Authorization', `Bearer ${second.accessToken}`).expect(401);
    await request(t.app).get('/auth/me').set('Authorization', `Bearer ${accessToken}`).expect(401);
    expect(t.logs()).toEqual(expect.arrayContaining([expect.objectContaining({ event: 'auth.refresh', reason: 'reused', level: 40 })]));
  });

  it('lets exactly one of concurrent refreshes of the same token succeed, never a 500', async () => {
    const { refreshToken } = await registerUser(t.app);
    const statuses = await Promise.all(Array.from({ length: 10 }, () => refresh(refreshToken).then((response) => response.status)));
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(9);
  });

  it('refuses a token past its inactivity timeout', async () => {
    const { refreshToken } = await registerUser(t.app);
    now = new Date(Date.now() + 7 * 86400_000 + 1000);
    await refresh(refreshToken).expect(401);
  });

  it('keeps a session alive by use, but never beyond its absolute lifetime', async () => {
    let { refreshToken } = await registerUser(t.app);
    for (const day of [6, 12, 18, 24]) {
      now = new Date(Date.now() + day * 86400_000);
      ({ refreshToken } = (await refresh(refreshToken).expect(200)).body);
    }
    now = new Date(Date.now() + 30 * 86400_000 + 1000);
    await refresh(refreshToken).expect(401);
  });

  it('answers 401 for an unknown token and 400 for a missing or malformed one', async () => {
    await refresh('this-token-was-never-issued-by-us-at-all-0000').expect(401);
    const missing = await request(t.app).post('/auth/refresh').send({}).expect(400);
    expect(missing.body.errors).toEqual([expect.objectContaining({ path: 'refreshToken' })]);
    await refresh(42).expect(400);
    await refresh('').expect(400);
  });

  it('answers 401 for the token of a logged-out session', async () => {
    const { refreshToken } = await registerUser(t.app);
    await request(t.app).post('/auth/logout').send({ refreshToken }).expect(204);
    await refresh(refreshToken).expect(401);
  });
});

describe('POST /auth/refresh with REFRESH_REUSE_INTERVAL', () => {
  it('answers 401 to a replay within the interval without revoking the family, and revokes after it', async () => {
    let now = new Date();
    const t = await createTestApp({ REFRESH_REUSE_INTERVAL: '10' }, { clock: () => now });
    try {
      const { refreshToken: first } = await registerUser(t.app);
      const { body: second } = await request(t.app).post('/auth/refresh').send({ refreshToken: first }).expect(200);
      await request(t.app).post('/auth/refresh').send({ refreshToken: first }).expect(401);
      const { body: third } = await request(t.app).post('/auth/refresh').send({ refreshToken: second.refreshToken }).expect(200);

      now = new Date(Date.now() + 11_000);
      await request(t.app).post('/auth/refresh').send({ refreshToken: second.refreshToken }).expect(401);
      await request(t.app).post('/auth/refresh').send({ refreshToken: third.refreshToken }).expect(401);
    } finally {
      await t.close();
    }
  });

  it('lets one of concurrent refreshes win and the others, which waited for its lock, see the token rotated: the family lives on', async () => {
    const t = await createTestApp({ REFRESH_REUSE_INTERVAL: '10' });
    try {
      const { refreshToken } = await registerUser(t.app);
      const responses = await Promise.all(Array.from({ length: 10 }, () => request(t.app).post('/auth/refresh').send({ refreshToken })));
      const winners = responses.filter((response) => response.status === 200);
      expect(winners).toHaveLength(1);
      expect(responses.filter((response) => response.status === 401)).toHaveLength(9);
      // Had a loser read the token before the winner committed, it would have rotated it too (two
      // successors) or revoked the family (reuse): the winner's successor refreshes.
      await request(t.app).post('/auth/refresh').send({ refreshToken: winners[0]!.body.refreshToken }).expect(200);
      const rows = await t.database.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM refresh_token WHERE "sessionId" = (SELECT "sessionId" FROM refresh_token WHERE "tokenHash" = $1)`,
        [hashOpaqueToken(refreshToken)],
      );
      expect(rows[0]!.n).toBe(3);
    } finally {
      await t.close();
    }
  });
});
