/**
 * Concurrent password changes of one user (finding 6 of issue 13): they are serialised, the
 * change that lands wins, and its session keeps working.
 */
import request from 'supertest';
import { createTestApp, registerUser, STRONG_PASSWORD, type TestApp } from '../support/test-app';

describe('POST /auth/password, five sessions of one user at once', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it("lets exactly one change land: its password is the account's, its session lives, every other session is revoked", async () => {
    const first = await registerUser(t.app);
    const sessions = [first];
    for (let i = 1; i < 5; i++) {
      const login = await request(t.app).post('/auth/login').send({ email: first.email, password: STRONG_PASSWORD }).expect(200);
      sessions.push({ ...first, ...login.body });
    }
    const newPasswords = sessions.map((_, i) => `brand new passphrase number ${i}`);

    const answers = await Promise.all(
      sessions.map((session, i) =>
        request(t.app)
          .post('/auth/password')
          .set('Authorization', `Bearer ${session.accessToken}`)
          .send({ currentPassword: STRONG_PASSWORD, newPassword: newPasswords[i] }),
      ),
    );

    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 204)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(4);
    const winner = statuses.indexOf(204);
    for (const [i, session] of sessions.entries()) {
      const me = await request(t.app).get('/auth/me').set('Authorization', `Bearer ${session.accessToken}`);
      expect(me.status).toBe(i === winner ? 200 : 401);
      const refreshed = await request(t.app).post('/auth/refresh').send({ refreshToken: session.refreshToken });
      expect(refreshed.status).toBe(i === winner ? 200 : 401);
    }
    for (const [i, password] of newPasswords.entries()) {
      await request(t.app)
        .post('/auth/login')
        .send({ email: first.email, password })
        .expect(i === winner ? 200 : 401);
    }
    await request(t.app).post('/auth/login').send({ email: first.email, password: STRONG_PASSWORD }).expect(401);
  });

  it('lands a change only from a session that is still live and on the hash its current password was checked against', async () => {
    const user = await registerUser(t.app);
    const sessionId = (JSON.parse(Buffer.from(user.accessToken.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;
    const passwordHash = (await t.database.query<{ passwordHash: string }>('SELECT "passwordHash" FROM "user" WHERE id = $1', [user.user.id]))[0]!.passwordHash;
    const { users, sessions } = t.service.services.tables;
    const change = { userId: user.user.id, newHash: '$2b$10$not.a.real.hash.but.never.stored' };

    // Another change landed first: the hash is no longer the one that was checked.
    expect(await users.replacePasswordHash({ ...change, expectedHash: `${passwordHash}x` })).toBe(false);
    // The session was revoked (logout) after it was authenticated: the change's transaction finds it no longer live.
    expect(await sessions.isLive(user.user.id, sessionId)).toBe(true);
    await request(t.app).post('/auth/logout').send({ refreshToken: user.refreshToken }).expect(204);
    expect(await sessions.isLive(user.user.id, sessionId)).toBe(false);
    await request(t.app)
      .post('/auth/password')
      .set('Authorization', `Bearer ${user.accessToken}`)
      .send({ currentPassword: STRONG_PASSWORD, newPassword: 'another fine passphrase' })
      .expect(401);

    const [after] = await t.database.query<{ passwordHash: string }>('SELECT "passwordHash" FROM "user" WHERE id = $1', [user.user.id]);
    expect(after!.passwordHash).toBe(passwordHash);
  });
});
