/**
 * The one live-session rule (src/tables/sessions.ts, liveSession): a session that is over by time
 * (its absolute lifetime, or the idle timeout since its last refresh) is over for every consumer
 * at once: GET /auth/me, refresh, the session list, revocation and password change. Before the
 * rule had one home, an expired session's access token still passed GET /auth/me.
 */
import request from 'supertest';
import { createTestApp, registerUser, STRONG_PASSWORD, type TestApp } from '../support/test-app';

const HOUR = 3600 * 1000;
const sidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('the live-session rule', () => {
  let t: TestApp;
  // The sessions' clock; access tokens keep real time, so they stay unexpired while sessions age.
  let offset = 0;
  beforeAll(async () => {
    t = await createTestApp({ REFRESH_TOKEN_TTL: '4h', REFRESH_TOKEN_IDLE_TTL: '1h' }, { clock: () => new Date(Date.now() + offset) });
  });
  afterAll(() => t.close());
  beforeEach(() => {
    offset = 0;
  });

  const login = async (email: string) => (await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(200)).body;

  /** Every consumer of the rule, asked about the `old` session from a `fresh` one opened afterwards. */
  async function expectOver(old: { accessToken: string; refreshToken: string }, email: string) {
    await request(t.app).get('/auth/me').set(bearer(old.accessToken)).expect(401);
    await request(t.app).get('/auth/sessions').set(bearer(old.accessToken)).expect(401);
    await request(t.app)
      .post('/auth/password')
      .set(bearer(old.accessToken))
      .send({ currentPassword: STRONG_PASSWORD, newPassword: 'a different passphrase' })
      .expect(401);
    await request(t.app).post('/auth/refresh').send({ refreshToken: old.refreshToken }).expect(401);
    const fresh = await login(email);
    const listed = await request(t.app).get('/auth/sessions').set(bearer(fresh.accessToken)).expect(200);
    expect(listed.body.sessions.map((session: { id: string }) => session.id)).toEqual([sidOf(fresh.accessToken)]);
    await request(t.app)
      .delete(`/auth/sessions/${sidOf(old.accessToken)}`)
      .set(bearer(fresh.accessToken))
      .expect(404);
  }

  it('ends a session past its absolute lifetime everywhere, though its access token has not expired', async () => {
    const user = await registerUser(t.app);
    await request(t.app).get('/auth/me').set(bearer(user.accessToken)).expect(200);
    offset = 4 * HOUR + 1000;
    await expectOver(user, user.email);
  });

  it('ends a session not refreshed within the idle timeout everywhere', async () => {
    const user = await registerUser(t.app);
    offset = HOUR + 1000;
    await expectOver(user, user.email);
  });

  it('keeps a session that was refreshed within the idle timeout live everywhere', async () => {
    const user = await registerUser(t.app);
    offset = HOUR - 60_000;
    const refreshed = (await request(t.app).post('/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200)).body;
    offset = 2 * HOUR - 120_000; // within an hour of the refresh, past an hour since registration
    await request(t.app).get('/auth/me').set(bearer(refreshed.accessToken)).expect(200);
    const listed = await request(t.app).get('/auth/sessions').set(bearer(refreshed.accessToken)).expect(200);
    expect(listed.body.sessions).toHaveLength(1);
  });
});
