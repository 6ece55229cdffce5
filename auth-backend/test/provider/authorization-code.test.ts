/**
 * The authorization code flow with PKCE through the hosted pages, driven by openid-client as the
 * relying party and a browser without JavaScript: confidential and public clients, consent (allow,
 * deny, remembered), single sign-on for a second client, prompt=login, prompt=none, max_age, and
 * redirect URIs that are not registered.
 */
import request from 'supertest';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { registerUser, STRONG_PASSWORD } from '../support/test-app';
import { relyingParty, startProviderApp, type ProviderTestApp } from '../support/provider-app';
import {
  APP_CALLBACK,
  OTHER_CALLBACK,
  authorize,
  decide,
  isConsentPage,
  isSignInPage,
  newBrowser,
  signInAndExchange,
  submitPassword,
} from '../support/provider-flows';
import { bearer } from '../support/admin';

let t: ProviderTestApp;
beforeAll(async () => {
  t = await startProviderApp();
});
afterAll(() => t?.close());

async function webApp(options: { firstParty?: boolean; redirect?: string } = {}) {
  const redirect = options.redirect ?? APP_CALLBACK;
  const client = await t.registerClient({ name: 'Web App', type: 'confidential', redirectUris: [redirect], firstParty: options.firstParty });
  return { client, rp: await relyingParty(t.issuer, client, redirect) };
}

describe('GET /oidc/auth (code + PKCE) through the hosted pages', () => {
  it('signs a confidential client in: password, consent, code exchange; the ID token carries every claim the contract names', async () => {
    const { client, rp } = await webApp();
    const user = await registerUser(t.app, { name: 'Ada Lovelace' });
    const browser = newBrowser();
    const { request: authorization, callback, pages } = await authorize(browser, rp, user);
    expect(pages.map((page) => (isSignInPage(page) ? 'sign-in' : isConsentPage(page) ? 'consent' : page.url.href))).toEqual(['sign-in', 'consent']);
    expect(callback.origin + callback.pathname).toBe(APP_CALLBACK);

    const tokens = await rp.exchange(callback, authorization);
    // openid-client checked iss, aud, exp, nonce and the signature; so does jose, from the JWKS.
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(`${t.issuer}/.well-known/jwks.json`)), {
      issuer: t.issuer,
      audience: client.clientId,
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toEqual(
      expect.objectContaining({ sub: user.user.id, iss: t.issuer, aud: client.clientId, nonce: authorization.nonce, amr: ['pwd'], sid: expect.any(String) }),
    );
    expect(payload.auth_time).toEqual(expect.any(Number));
    expect(payload.exp! - payload.iat!).toBeGreaterThan(0);

    const info = await rp.oidc.fetchUserInfo(rp.configuration, tokens.access_token, user.user.id);
    expect(info).toEqual({ sub: user.user.id, name: 'Ada Lovelace', email: user.email, email_verified: false });
  });

  it('opens a service session (GET /auth/sessions lists it) and records user.login with the client', async () => {
    const { client, rp } = await webApp();
    const user = await registerUser(t.app);
    await signInAndExchange(newBrowser(), rp, user);
    const sessions = await request(t.app).get('/auth/sessions').set(bearer(user.accessToken)).expect(200);
    expect(sessions.body.sessions).toHaveLength(2);
    const [login] = await t.database.query<{ data: { clientId: string; door: string } }>(
      `SELECT data FROM audit_event WHERE "userId" = $1 AND type = 'user.login' ORDER BY at DESC LIMIT 1`,
      [user.user.id],
    );
    expect(login!.data).toEqual(expect.objectContaining({ clientId: client.clientId, door: 'password' }));
  });

  it('signs a public client in with PKCE alone (no secret)', async () => {
    const client = await t.registerClient({ name: 'SPA', type: 'public', redirectUris: [APP_CALLBACK] });
    expect(client.clientSecret).toBeUndefined();
    const rp = await relyingParty(t.issuer, client, APP_CALLBACK);
    const user = await registerUser(t.app);
    const { idToken } = await signInAndExchange(newBrowser(), rp, user);
    expect(idToken.sub).toBe(user.user.id);
  });

  it('remembers consent per client and scopes: the next sign-in asks nothing, a new scope asks again', async () => {
    const { rp } = await webApp();
    const user = await registerUser(t.app);
    await signInAndExchange(newBrowser(), rp, user, { scope: 'openid email' });
    const again = await authorize(newBrowser(), rp, user, { scope: 'openid email' });
    expect(again.pages.map(isConsentPage)).toEqual([false]);
    const more = await authorize(newBrowser(), rp, user, { scope: 'openid email profile' });
    expect(more.pages.map(isConsentPage)).toEqual([false, true]);
    const events = await t.database.query<{ data: { scopes: string[] } }>(
      `SELECT data FROM audit_event WHERE "userId" = $1 AND type = 'oauth.consent_granted' ORDER BY at`,
      [user.user.id],
    );
    expect(events.map((event) => event.data.scopes)).toEqual([['openid', 'email'], ['profile']]);
  });

  it('sends access_denied to the application when the person denies, and remembers nothing', async () => {
    const { rp } = await webApp();
    const user = await registerUser(t.app);
    const authorization = await rp.authorize();
    const browser = newBrowser();
    const consent = await submitPassword(await browser.open(authorization.url), user.email);
    const back = await decide(consent, 'deny');
    expect(back.url.searchParams.get('error')).toBe('access_denied');
    expect(back.url.searchParams.get('state')).toBe(authorization.state);
    const rows = await t.database.query(`SELECT 1 FROM oauth_consent WHERE "userId" = $1`, [user.user.id]);
    expect(rows).toHaveLength(0);
  });

  it('never shows a consent page to a first-party client', async () => {
    const { rp } = await webApp({ firstParty: true });
    const user = await registerUser(t.app);
    const { pages } = await authorize(newBrowser(), rp, user);
    expect(pages.map(isSignInPage)).toEqual([true]);
  });

  it('signs a second client in the same browser without the password (single sign-on), unless prompt=login or max_age asks', async () => {
    const first = await webApp({ firstParty: true });
    const second = await webApp({ firstParty: true, redirect: OTHER_CALLBACK });
    const user = await registerUser(t.app);
    const browser = newBrowser();
    const signedIn = await signInAndExchange(browser, first.rp, user);

    const sso = await authorize(browser, second.rp, user);
    expect(sso.pages).toHaveLength(0);
    const ssoTokens = await second.rp.exchange(sso.callback, sso.request);
    expect(ssoTokens.claims()!.sub).toBe(user.user.id);
    expect(ssoTokens.claims()!.auth_time).toBe(signedIn.idToken.auth_time);

    const forced = await authorize(browser, second.rp, user, { prompt: 'login' });
    expect(forced.pages.map(isSignInPage)).toEqual([true]);

    await new Promise((resolve) => setTimeout(resolve, 1100));
    const aged = await authorize(browser, second.rp, user, { max_age: '0' });
    expect(aged.pages.map(isSignInPage)).toEqual([true]);
  });

  it('answers prompt=none without a session with login_required at the application', async () => {
    const { rp } = await webApp();
    const authorization = await rp.authorize({ prompt: 'none' });
    const page = await newBrowser().open(authorization.url);
    expect(page.url.searchParams.get('error')).toBe('login_required');
  });

  it('never redirects to a redirect URI that is not registered: an error page instead', async () => {
    const { rp } = await webApp();
    for (const uri of ['https://evil.test/callback', `${APP_CALLBACK}/x`, `${APP_CALLBACK}?x=1`, 'https://app.test/CALLBACK']) {
      const authorization = await rp.authorize({ redirect_uri: uri });
      const page = await newBrowser().open(authorization.url);
      expect(page.status).toBe(400);
      expect(page.hops).toHaveLength(1);
      expect(page.headers.get('location')).toBeNull();
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.text()).toMatch(/redirect_uri did not match any of the client's registered redirect_uris/);
    }
  });

  it('matches a native app’s loopback redirect URI with any port (RFC 8252 section 7.3), and nothing else about it', async () => {
    const client = await t.registerClient({ name: 'CLI', type: 'public', redirectUris: ['http://127.0.0.1/callback'] });
    const user = await registerUser(t.app);
    const anyPort = 'http://127.0.0.1:51234/callback';
    const native = await relyingParty(t.issuer, client, anyPort);
    const browser = newBrowser();
    browser.stopAtPrefix('http://127.0.0.1:51234/');
    const { request: authorization, callback } = await authorize(browser, native, user);
    expect(callback.href.startsWith(`${anyPort}?`)).toBe(true);
    expect((await native.exchange(callback, authorization)).claims()!.sub).toBe(user.user.id);
    const otherPath = await native.authorize({ redirect_uri: 'http://127.0.0.1:51234/elsewhere' });
    expect((await newBrowser().open(otherPath.url)).status).toBe(400);
  });

  it('refuses an authorization request without PKCE, or with the plain method', async () => {
    const { rp } = await webApp();
    const user = await registerUser(t.app);
    const cases: Array<Record<string, string>> = [{ code_challenge: '', code_challenge_method: '' }, { code_challenge_method: 'plain' }];
    for (const parameters of cases) {
      const authorization = await rp.authorize(parameters);
      const url = new URL(authorization.url);
      for (const [key, value] of Object.entries(parameters)) if (value === '') url.searchParams.delete(key);
      const page = await newBrowser().open(url.href);
      expect(page.url.searchParams.get('error')).toBe('invalid_request');
    }
    // The code is never exchanged without its verifier either.
    const { request: authorization, callback } = await authorize(newBrowser(), rp, user);
    await expect(rp.exchange(callback, { ...authorization, verifier: 'x'.repeat(43) })).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('re-renders the sign-in page with the message and 401 for a wrong password', async () => {
    const { rp } = await webApp();
    const user = await registerUser(t.app);
    const authorization = await rp.authorize();
    const page = await submitPassword(await newBrowser().open(authorization.url), user.email, `${STRONG_PASSWORD}!`);
    expect(page.status).toBe(401);
    expect(page.text()).toMatch(/The email or password is incorrect/);
    expect(page.form().fields.email).toBe(user.email);
  });
});
