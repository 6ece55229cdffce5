/**
 * An app's refresh tokens ride on the service session of the hosted sign-in that issued them
 * (tables/provider-state.ts): that session's idle timeout (REFRESH_TOKEN_IDLE_TTL, 7 days by
 * default) ends them too. An app that keeps renewing its tokens is using that session, so each
 * renewal starts the idle timeout again; an app left alone past it is signed out.
 */
import { registerUser } from '../support/test-app';
import { relyingParty, startProviderApp, type ProviderTestApp } from '../support/provider-app';
import { APP_CALLBACK, newBrowser, signInAndExchange } from '../support/provider-flows';

const DAY = 24 * 3600 * 1000;

describe('the service session under an app’s refresh tokens', () => {
  let t: ProviderTestApp;
  let now = Date.now();
  beforeAll(async () => {
    t = await startProviderApp({}, { clock: () => new Date(now) });
  });
  afterAll(() => t?.close());

  it('stays live while the app renews its tokens within the idle timeout, and ends when it stops for longer', async () => {
    const client = await t.registerClient({ name: 'Mobile', type: 'public', redirectUris: [APP_CALLBACK], firstParty: true });
    const rp = await relyingParty(t.issuer, client, APP_CALLBACK);
    const { tokens } = await signInAndExchange(newBrowser(), rp, await registerUser(t.app), { scope: 'openid offline_access' });
    let refreshToken = tokens.refresh_token!;
    // Every 5 days for 20 days: each renewal within 7 days of the one before.
    for (let renewal = 1; renewal <= 4; renewal++) {
      now += 5 * DAY;
      refreshToken = (await rp.oidc.refreshTokenGrant(rp.configuration, refreshToken)).refresh_token!;
    }
    // Then 8 days without a renewal: past the idle timeout, the session and the app's tokens are over.
    now += 8 * DAY;
    await expect(rp.oidc.refreshTokenGrant(rp.configuration, refreshToken)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
