/**
 * The one live-session rule (src/tables/sessions.ts, liveSession): a session that is over by time
 * (its absolute lifetime, or the idle timeout since its last refresh) is over for every consumer
 * at once: GET /auth/me, refresh, the session list, revocation and password change. Before the
 * rule had one home, an expired session's access token still passed GET /auth/me.
 */
import { createTestApp, registerUser, STRONG_PASSWORD, type TestApp } from '../support/test-app';
import { apiClient, bodyOf, type SessionsBody, type TokenBody } from '../support/api-client';

const HOUR = 3600 * 1000;
const sidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;

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

  const api = () => apiClient(t.app);
  const login = async (email: string) => bodyOf<TokenBody>(await api().login({ email, password: STRONG_PASSWORD }).expect(200));

  /** Every consumer of the rule, asked about the `old` session from a `fresh` one opened afterwards. */
  async function expectOver(old: { accessToken: string; refreshToken: string }, email: string) {
    await api().me(old.accessToken).expect(401);
    await api().sessions(old.accessToken).expect(401);
    await api().changePassword(old.accessToken, { currentPassword: STRONG_PASSWORD, newPassword: 'a different passphrase' }).expect(401);
    await api().refresh({ refreshToken: old.refreshToken }).expect(401);
    const fresh = await login(email);
    const listed = bodyOf<SessionsBody>(await api().sessions(fresh.accessToken).expect(200));
    expect(listed.sessions.map((session) => session.id)).toEqual([sidOf(fresh.accessToken)]);
    await api().revokeSession(fresh.accessToken, sidOf(old.accessToken)).expect(404);
  }

  it('ends a session past its absolute lifetime everywhere, though its access token has not expired', async () => {
    const user = await registerUser(t.app);
    await api().me(user.accessToken).expect(200);
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
    const refreshed = bodyOf<TokenBody>(await api().refresh({ refreshToken: user.refreshToken }).expect(200));
    offset = 2 * HOUR - 120_000; // within an hour of the refresh, past an hour since registration
    await api().me(refreshed.accessToken).expect(200);
    expect(bodyOf<SessionsBody>(await api().sessions(refreshed.accessToken).expect(200)).sessions).toHaveLength(1);
  });
});
