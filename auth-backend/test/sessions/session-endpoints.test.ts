import request from 'supertest';
import { createTestApp, registerUser, STRONG_PASSWORD, type TestApp } from '../support/test-app';

describe('session endpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const login = async (email: string, password = STRONG_PASSWORD) => (await request(t.app).post('/auth/login').send({ email, password }).expect(200)).body;
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  describe('GET /auth/me', () => {
    it('answers the user with exactly id, email, name, createdAt, emailVerified and mfaEnabled', async () => {
      const { accessToken, user, email } = await registerUser(t.app, { name: 'Grace' });
      const response = await request(t.app).get('/auth/me').set(bearer(accessToken)).expect(200);
      expect(response.body).toEqual({ user: { id: user.id, email, name: 'Grace', createdAt: expect.any(String), emailVerified: false, mfaEnabled: false } });
    });
  });

  describe('POST /auth/logout', () => {
    it('revokes one session and leaves the others working', async () => {
      const { email, refreshToken } = await registerUser(t.app);
      const other = await login(email);
      await request(t.app).post('/auth/logout').send({ refreshToken }).expect(204);
      await request(t.app).post('/auth/refresh').send({ refreshToken }).expect(401);
      await request(t.app).post('/auth/refresh').send({ refreshToken: other.refreshToken }).expect(200);
    });

    it('is idempotent: an unknown or already revoked token also answers 204', async () => {
      const { refreshToken } = await registerUser(t.app);
      await request(t.app).post('/auth/logout').send({ refreshToken }).expect(204);
      await request(t.app).post('/auth/logout').send({ refreshToken }).expect(204);
      await request(t.app).post('/auth/logout').send({ refreshToken: 'never-issued-token-value' }).expect(204);
    });

    it('answers 400 without a refresh token', async () => {
      await request(t.app).post('/auth/logout').send({}).expect(400);
    });
  });

  describe('POST /auth/logout-all', () => {
    it('revokes every refresh token of the user', async () => {
      const { email, accessToken, refreshToken } = await registerUser(t.app);
      const second = await login(email);
      await request(t.app).post('/auth/logout-all').set(bearer(accessToken)).expect(204);
      await request(t.app).post('/auth/refresh').send({ refreshToken }).expect(401);
      await request(t.app).post('/auth/refresh').send({ refreshToken: second.refreshToken }).expect(401);
      expect(
        await t.database.query(`SELECT COUNT(*)::int AS n FROM session s JOIN "user" u ON u.id = s."userId" WHERE u.email = $1 AND s."revokedAt" IS NULL`, [
          email,
        ]),
      ).toEqual([{ n: 0 }]);
    });

    it('answers 401 with WWW-Authenticate without a token', async () => {
      const response = await request(t.app).post('/auth/logout-all').expect(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    });
  });

  describe('POST /auth/password', () => {
    it("changes the password, revokes every other session, and keeps the caller's working", async () => {
      const { email, accessToken, refreshToken } = await registerUser(t.app);
      const other = await login(email);
      await request(t.app)
        .post('/auth/password')
        .set(bearer(accessToken))
        .send({ currentPassword: STRONG_PASSWORD, newPassword: 'a brand new passphrase' })
        .expect(204);

      await request(t.app).get('/auth/me').set(bearer(accessToken)).expect(200);
      await request(t.app).post('/auth/refresh').send({ refreshToken }).expect(200);
      await request(t.app).post('/auth/refresh').send({ refreshToken: other.refreshToken }).expect(401);
      await request(t.app).get('/auth/me').set(bearer(other.accessToken)).expect(401);

      await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(401);
      await login(email, 'a brand new passphrase');
    });

    it('answers 401 for a wrong current password and changes nothing', async () => {
      const { email, accessToken } = await registerUser(t.app);
      const response = await request(t.app)
        .post('/auth/password')
        .set(bearer(accessToken))
        .send({ currentPassword: 'not my password at all', newPassword: 'a brand new passphrase' })
        .expect(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
      await login(email);
    });

    it('answers 400 for a weak new password and changes nothing', async () => {
      const { email, accessToken } = await registerUser(t.app);
      const response = await request(t.app)
        .post('/auth/password')
        .set(bearer(accessToken))
        .send({ currentPassword: STRONG_PASSWORD, newPassword: 'qwerty123' })
        .expect(400);
      expect(response.body.errors).toEqual([{ path: 'newPassword', message: expect.stringMatching(/most common/) }]);
      await login(email);
    });

    it('answers 400 naming missing fields', async () => {
      const { accessToken } = await registerUser(t.app);
      const response = await request(t.app).post('/auth/password').set(bearer(accessToken)).send({}).expect(400);
      expect(response.body.errors.map((error: { path: string }) => error.path).sort()).toEqual(['currentPassword', 'newPassword']);
    });
  });
});
