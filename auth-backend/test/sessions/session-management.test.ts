import request from 'supertest';
import { createTestApp, registerUser, STRONG_PASSWORD, type TestApp } from '../support/test-app';

describe('session management', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const login = async (email: string, userAgent: string) =>
    (await request(t.app).post('/auth/login').set('User-Agent', userAgent).send({ email, password: STRONG_PASSWORD }).expect(200)).body as {
      accessToken: string;
      refreshToken: string;
    };
  const sessions = async (token: string) =>
    (await request(t.app).get('/auth/sessions').set(bearer(token)).expect(200)).body.sessions as Array<{
      id: string;
      createdAt: string;
      lastUsedAt: string;
      userAgent: string | null;
      current: boolean;
    }>;
  const sidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;

  describe('GET /auth/sessions', () => {
    it("lists the caller's active sessions, newest first, with the user agent and current set once", async () => {
      const { email } = await registerUser(t.app);
      const phone = await login(email, 'Phone/1.0');
      const laptop = await login(email, 'Laptop/2.0 (X11)');
      const other = await registerUser(t.app);

      const listed = await sessions(laptop.accessToken);
      // Registration opened a session too (supertest's own user agent is none).
      expect(listed.map((s) => s.userAgent)).toEqual(['Laptop/2.0 (X11)', 'Phone/1.0', null]);
      expect(listed.filter((s) => s.current).map((s) => s.id)).toEqual([sidOf(laptop.accessToken)]);
      expect(Object.keys(listed[0]!).sort()).toEqual(['createdAt', 'current', 'id', 'lastUsedAt', 'userAgent']);
      expect(listed.map((s) => s.createdAt)).toEqual([...listed.map((s) => s.createdAt)].sort().reverse());
      expect(listed.map((s) => s.id)).not.toContain(sidOf(other.accessToken));
      expect((await sessions(phone.accessToken)).find((s) => s.current)!.id).toBe(sidOf(phone.accessToken));
    });

    it('leaves out revoked sessions and answers 401 without a token', async () => {
      const { email, refreshToken } = await registerUser(t.app);
      const kept = await login(email, 'Kept/1');
      await request(t.app).post('/auth/logout').send({ refreshToken }).expect(204);
      expect((await sessions(kept.accessToken)).map((s) => s.userAgent)).toEqual(['Kept/1']);
      const response = await request(t.app).get('/auth/sessions').expect(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    });

    it('updates lastUsedAt on refresh, not on GET /auth/me', async () => {
      const { email } = await registerUser(t.app);
      const first = await login(email, 'Agent/1');
      const [before] = (await sessions(first.accessToken)).filter((s) => s.current);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await request(t.app).get('/auth/me').set(bearer(first.accessToken)).expect(200);
      expect((await sessions(first.accessToken)).find((s) => s.current)!.lastUsedAt).toBe(before!.lastUsedAt);
      const refreshed = (await request(t.app).post('/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200)).body;
      const after = (await sessions(refreshed.accessToken)).find((s) => s.current)!;
      expect(after.id).toBe(before!.id);
      expect(after.createdAt).toBe(before!.createdAt);
      expect(new Date(after.lastUsedAt).getTime()).toBeGreaterThan(new Date(before!.lastUsedAt).getTime());
    });

    it('records a bounded, printable user agent', async () => {
      const { email } = await registerUser(t.app);
      const session = await login(email, `Long/${'x'.repeat(2000)}`);
      const [current] = (await sessions(session.accessToken)).filter((s) => s.current);
      expect(current!.userAgent).toHaveLength(512);
    });
  });

  describe('DELETE /auth/sessions/{id}', () => {
    it('ends that session: its refresh token and its access token stop working at once, the others keep working', async () => {
      const { email, accessToken } = await registerUser(t.app);
      const victim = await login(email, 'Stolen/1');
      await request(t.app).get('/auth/me').set(bearer(victim.accessToken)).expect(200);

      await request(t.app)
        .delete(`/auth/sessions/${sidOf(victim.accessToken)}`)
        .set(bearer(accessToken))
        .expect(204);

      await request(t.app).get('/auth/me').set(bearer(victim.accessToken)).expect(401);
      await request(t.app).post('/auth/refresh').send({ refreshToken: victim.refreshToken }).expect(401);
      await request(t.app).get('/auth/me').set(bearer(accessToken)).expect(200);
      expect((await sessions(accessToken)).map((s) => s.id)).not.toContain(sidOf(victim.accessToken));
    });

    it('can end the calling session itself', async () => {
      const { accessToken } = await registerUser(t.app);
      await request(t.app)
        .delete(`/auth/sessions/${sidOf(accessToken)}`)
        .set(bearer(accessToken))
        .expect(204);
      await request(t.app).get('/auth/me').set(bearer(accessToken)).expect(401);
    });

    it("answers 404 for another user's, an unknown, a malformed or an already revoked id, and changes nothing", async () => {
      const mine = await registerUser(t.app);
      const theirs = await registerUser(t.app);
      const theirSession = sidOf(theirs.accessToken);
      const ended = await login(mine.email, 'Ended/1');
      await request(t.app)
        .delete(`/auth/sessions/${sidOf(ended.accessToken)}`)
        .set(bearer(mine.accessToken))
        .expect(204);

      for (const id of [theirSession, '00000000-0000-4000-8000-000000000000', 'not-a-uuid', sidOf(ended.accessToken)]) {
        const response = await request(t.app).delete(`/auth/sessions/${id}`).set(bearer(mine.accessToken)).expect(404);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.body).toMatchObject({ status: 404, code: 'not_found' });
      }
      await request(t.app).get('/auth/me').set(bearer(theirs.accessToken)).expect(200);
      await request(t.app).post('/auth/refresh').send({ refreshToken: theirs.refreshToken }).expect(200);
    });

    it('answers 401 without a token, before looking at the id', async () => {
      const { accessToken } = await registerUser(t.app);
      await request(t.app)
        .delete(`/auth/sessions/${sidOf(accessToken)}`)
        .expect(401);
      await request(t.app).get('/auth/me').set(bearer(accessToken)).expect(200);
    });

    it('is a DELETE only where one is routed: other paths still answer 405 without DELETE in Allow', async () => {
      const response = await request(t.app)
        .delete('/auth/sessions')
        .set(bearer((await registerUser(t.app)).accessToken));
      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe('GET, HEAD, POST, OPTIONS');
      expect((await request(t.app).put('/auth/sessions/00000000-0000-4000-8000-000000000000')).headers.allow).toBe('GET, HEAD, POST, OPTIONS, DELETE');
      // v3 routes DELETE /auth/me (account deletion); /auth/password has no DELETE.
      await request(t.app).delete('/auth/password').expect(405);
    });
  });
});
