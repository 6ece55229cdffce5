/**
 * Single sign-on rides on the service session a hosted sign-in opened: whatever ends that session
 * (revoking it, signing out everywhere, a password change, disabling or deleting the user, an
 * RP-initiated logout) ends the single sign-on and every provider token at once.
 */
import request from 'supertest';
import { registerUser, STRONG_PASSWORD } from '../support/test-app';
import { relyingParty, startProviderApp, type ProviderTestApp, type RelyingParty } from '../support/provider-app';
import { APP_CALLBACK, authorize, isSignInPage, newBrowser, signInAndExchange } from '../support/provider-flows';
import { bearer, registerAdmin } from '../support/admin';
import type { BrowserSession } from '../support/browser-session';

const LOGGED_OUT = 'https://app.test/logged-out';

let t: ProviderTestApp;
let rp: RelyingParty;
beforeAll(async () => {
  t = await startProviderApp({ ADMIN_REQUIRE_MFA: 'false' });
  const client = await t.registerClient({
    name: 'Web App',
    type: 'confidential',
    redirectUris: [APP_CALLBACK],
    postLogoutRedirectUris: [LOGGED_OUT],
    firstParty: true,
  });
  rp = await relyingParty(t.issuer, client, APP_CALLBACK);
});
afterAll(() => t?.close());

/** A user signed in through the pages with offline_access: the browser, the tokens, and the hosted sign-in's session id. */
async function signedIn() {
  const user = await registerUser(t.app);
  const browser = newBrowser();
  const { tokens, idToken } = await signInAndExchange(browser, rp, user, { scope: 'openid offline_access' });
  const sessions = await request(t.app).get('/auth/sessions').set(bearer(user.accessToken)).expect(200);
  const hosted = (sessions.body.sessions as Array<{ id: string; current: boolean }>).find((session) => !session.current)!;
  return { user, browser, tokens, idToken, hostedSessionId: hosted.id };
}

/** Every way the provider could still let this user in: all must be closed. */
async function expectEnded(browser: BrowserSession, tokens: { refresh_token?: string; access_token: string }, user: { email: string }) {
  await expect(rp.oidc.refreshTokenGrant(rp.configuration, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  expect(await rp.oidc.tokenIntrospection(rp.configuration, tokens.refresh_token!)).toEqual({ active: false });
  expect(await rp.oidc.tokenIntrospection(rp.configuration, tokens.access_token)).toEqual({ active: false });
  const again = await authorize(browser, rp, user);
  expect(again.pages.map(isSignInPage)[0]).toBe(true);
}

describe('the end of a hosted sign-in’s session', () => {
  it('keeps single sign-on and tokens working while the session lives (the control case)', async () => {
    const { browser, tokens, user } = await signedIn();
    expect(await rp.oidc.tokenIntrospection(rp.configuration, tokens.refresh_token!)).toEqual(expect.objectContaining({ active: true }));
    const sso = await authorize(browser, rp, user);
    expect(sso.pages).toHaveLength(0);
  });

  it('DELETE /auth/sessions/{id} ends it', async () => {
    const { user, browser, tokens, hostedSessionId } = await signedIn();
    await request(t.app).delete(`/auth/sessions/${hostedSessionId}`).set(bearer(user.accessToken)).expect(204);
    await expectEnded(browser, tokens, user);
  });

  it('POST /auth/logout-all ends it', async () => {
    const { user, browser, tokens } = await signedIn();
    await request(t.app).post('/auth/logout-all').set(bearer(user.accessToken)).expect(204);
    await expectEnded(browser, tokens, user);
  });

  it('a password change (which revokes the other sessions) ends it', async () => {
    const { user, browser, tokens } = await signedIn();
    const newPassword = `${STRONG_PASSWORD} again`;
    await request(t.app).post('/auth/password').set(bearer(user.accessToken)).send({ currentPassword: STRONG_PASSWORD, newPassword }).expect(204);
    await expectEnded(browser, tokens, { email: user.email, password: newPassword } as { email: string });
  });

  it('disabling the user ends it; deleting the user removes what the provider kept', async () => {
    const admin = await registerAdmin(t);
    const disabled = await signedIn();
    await request(t.app).patch(`/admin/users/${disabled.user.user.id}`).set(bearer(admin.accessToken)).send({ disabled: true }).expect(200);
    await expect(rp.oidc.refreshTokenGrant(rp.configuration, disabled.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await rp.oidc.tokenIntrospection(rp.configuration, disabled.tokens.refresh_token!)).toEqual({ active: false });

    const deleted = await signedIn();
    await request(t.app).delete(`/admin/users/${deleted.user.user.id}`).set(bearer(admin.accessToken)).expect(204);
    expect(await rp.oidc.tokenIntrospection(rp.configuration, deleted.tokens.refresh_token!)).toEqual({ active: false });
    const left = await t.database.query(`SELECT model FROM oidc_provider_state WHERE "accountId" = $1`, [deleted.user.user.id]);
    expect(left).toEqual([]);
  });

  it('RP-initiated logout (id_token_hint, registered post_logout_redirect_uri) ends both sessions', async () => {
    const { user, browser, tokens, hostedSessionId } = await signedIn();
    const url = rp.oidc.buildEndSessionUrl(rp.configuration, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: LOGGED_OUT, state: 'bye' });
    browser.stopAtPrefix(LOGGED_OUT);
    const confirm = await browser.open(url.href);
    expect(confirm.status).toBe(200);
    const form = confirm.form();
    expect(form.fields.xsrf).toEqual(expect.any(String));
    const after = await form.submit({}, { name: 'logout', value: 'yes' });
    expect(after.url.origin + after.url.pathname).toBe(LOGGED_OUT);
    expect(after.url.searchParams.get('state')).toBe('bye');

    const [row] = await t.database.query<{ revokedReason: string }>(`SELECT "revokedReason" FROM session WHERE id = $1`, [hostedSessionId]);
    expect(row!.revokedReason).toBe('logout');
    await expectEnded(browser, tokens, user);
  });

  it('refuses a post_logout_redirect_uri that is not registered (no redirect there)', async () => {
    const { browser, tokens } = await signedIn();
    const url = rp.oidc.buildEndSessionUrl(rp.configuration, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://evil.test/' });
    const page = await browser.open(url.href);
    expect(page.status).toBe(400);
    expect(page.hops).toHaveLength(1);
  });
});
