/**
 * The console's sign-in: through the service's own provider (its built-in first-party client, code
 * + PKCE), the administrator role and ADMIN_REQUIRE_MFA on every request, and a console session
 * that ends with the provider session and never outlives the service session under it.
 */
import request from 'supertest';
import { startProviderApp, type ProviderTestApp } from '../support/provider-app';
import { consoleUser, signInToConsole } from '../support/console';

let t: ProviderTestApp;
beforeAll(async () => {
  t = await startProviderApp({ ADMIN_REQUIRE_MFA: 'true' });
});
afterAll(() => t.close());

const isSignInPage = (page: { url: URL; document: { querySelector(s: string): unknown } }) =>
  page.url.pathname.startsWith('/oidc/interaction/') && page.document.querySelector('input[name=password]') !== null;

describe('GET /console', () => {
  it('signs an administrator with a second factor in through the hosted pages and lands on the users page', async () => {
    const admin = await consoleUser(t);
    const { page } = await signInToConsole(t, admin);
    expect(page.status).toBe(200);
    expect(page.url.pathname).toBe('/console/users');
    expect(page.hops.some((hop) => hop.includes('/console/callback?code='))).toBe(true);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(page.headers.get('content-security-policy')).not.toMatch(/unsafe-inline/);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.text()).toContain(admin.email);
    // The sign-in went through the pipeline like any app's: user.login naming the console's client, amr with the second factor.
    const [login] = await t.database.query<{ data: { clientId?: string; amr?: string[] } }>(
      `SELECT data FROM audit_event WHERE "userId" = $1 AND type = 'user.login' ORDER BY at DESC LIMIT 1`,
      [admin.id],
    );
    expect(login!.data.clientId).toBe('admin-console');
    expect(login!.data.amr).toEqual(['pwd', 'otp']);
  });

  it('writes no code, token or console cookie on a log line', async () => {
    const admin = await consoleUser(t);
    const { browser, page } = await signInToConsole(t, admin);
    const code = new URL(page.hops.find((hop) => hop.includes('/console/callback?'))!).searchParams.get('code')!;
    const cookies = await browser.jar.getCookies(`${t.issuer}/console/users`);
    const sessionCookie = cookies.find((cookie) => cookie.key === 'console_session')!;
    expect(sessionCookie.httpOnly).toBe(true);
    expect(sessionCookie.sameSite).toBe('lax');
    expect(t.logText()).not.toContain(code);
    expect(t.logText()).not.toContain(sessionCookie.value.slice(-40));
  });

  it('answers an unknown console path with a 404 page once signed in', async () => {
    const admin = await consoleUser(t);
    const { browser } = await signInToConsole(t, admin);
    const page = await browser.open(`${t.issuer}/console/nothing-here`);
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('made its client at start-up: public, first-party, with the console’s own URIs', async () => {
    const client = await t.service.services.provider.clients.get('admin-console');
    expect(client).toMatchObject({
      type: 'public',
      firstParty: true,
      redirectUris: [`${t.issuer}/console/callback`],
      postLogoutRedirectUris: [`${t.issuer}/console/signed-out`],
    });
    const created = await t.database.query(`SELECT 1 FROM audit_event WHERE type = 'oauth.client_created' AND data->>'clientId' = 'admin-console'`);
    expect(created).toHaveLength(1);
  });

  it('sends a browser without a console session to the hosted sign-in page', async () => {
    const response = await request(t.app).get('/console/users').expect(303);
    const location = new URL(response.headers.location!);
    expect(location.pathname).toBe('/oidc/auth');
    expect(location.searchParams.get('client_id')).toBe('admin-console');
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('shows a 403 page to a signed-in user who is not an administrator, and nothing of the console', async () => {
    const user = await consoleUser(t, { role: 'user' });
    const { page } = await signInToConsole(t, user);
    expect(page.status).toBe(403);
    expect(page.url.pathname).toBe('/console/users');
    expect(page.text()).toMatch(/not an administrator/);
    expect(page.document.querySelector('table')).toBeNull();
  });

  it('shows a 403 page to an administrator signed in without a second factor while ADMIN_REQUIRE_MFA is true', async () => {
    const admin = await consoleUser(t, { secondFactor: false });
    const { page } = await signInToConsole(t, admin);
    expect(page.status).toBe(403);
    expect(page.text()).toMatch(/second factor/);
    expect(page.document.querySelector('table')).toBeNull();
  });

  it('checks the role on every request: a demoted administrator gets the 403 page at once', async () => {
    const admin = await consoleUser(t);
    const { browser } = await signInToConsole(t, admin);
    expect((await browser.open(`${t.issuer}/console/audit`)).status).toBe(200);
    await t.database.query(`UPDATE "user" SET role = 'user' WHERE id = $1`, [admin.id]);
    expect((await browser.open(`${t.issuer}/console/audit`)).status).toBe(403);
  });

  it('never outlives the service session: signing the administrator out everywhere sends the console back to sign-in', async () => {
    const admin = await consoleUser(t);
    const { browser } = await signInToConsole(t, admin);
    await t.database.query(`UPDATE session SET "revokedAt" = now() WHERE "userId" = $1`, [admin.id]);
    const page = await browser.open(`${t.issuer}/console/users`);
    expect(isSignInPage(page)).toBe(true);
  });

  it('ends with the provider session: the sign-out link ends the service session and the console asks to sign in again', async () => {
    const admin = await consoleUser(t);
    const { browser } = await signInToConsole(t, admin);
    const confirm = await browser.open(`${t.issuer}/console/users`).then((page) => page.document.querySelector('a[href="/console/sign-out"]'));
    expect(confirm).not.toBeNull();
    const liveSessions = async () => (await t.database.query(`SELECT 1 FROM session WHERE "userId" = $1 AND "revokedAt" IS NULL`, [admin.id])).length;
    // The registration's session (JSON API) and the console's.
    expect(await liveSessions()).toBe(2);
    const logoutPage = await browser.open(`${t.issuer}/console/sign-out`);
    expect(logoutPage.url.pathname).toBe('/oidc/session/end');
    const signedOut = await logoutPage.form().submit({}, { name: 'logout', value: 'yes' });
    expect(signedOut.url.pathname).toBe('/console/signed-out');
    expect(signedOut.text()).toMatch(/signed out/i);
    expect(await liveSessions()).toBe(1);
    expect(isSignInPage(await browser.open(`${t.issuer}/console/users`))).toBe(true);
  });

  it('refuses a POST without the console session’s CSRF token with a 403 page, and changes nothing', async () => {
    const admin = await consoleUser(t);
    const target = await consoleUser(t, { role: 'user', secondFactor: false });
    const { browser } = await signInToConsole(t, admin);
    const page = await browser.request(`${t.issuer}/console/users/${target.id}/disable`, { method: 'POST', body: new URLSearchParams({ csrf: 'forged' }) });
    expect(page.status).toBe(403);
    const [row] = await t.database.query<{ disabledAt: Date | null }>(`SELECT "disabledAt" FROM "user" WHERE id = $1`, [target.id]);
    expect(row!.disabledAt).toBeNull();
  });

  it('refuses a callback that did not start in this browser', async () => {
    const response = await request(t.app).get('/console/callback?code=x&state=y').expect(400);
    expect(response.text).toMatch(/Sign in again/i);
  });
});

describe('GET /console with ADMIN_REQUIRE_MFA=false', () => {
  it('lets an administrator without a second factor in, as the admin API does', async () => {
    const relaxed = await startProviderApp({ ADMIN_REQUIRE_MFA: 'false' });
    try {
      const admin = await consoleUser(relaxed, { secondFactor: false });
      const { page } = await signInToConsole(relaxed, admin);
      expect(page.status).toBe(200);
      expect(page.url.pathname).toBe('/console/users');
    } finally {
      await relaxed.close();
    }
  });
});
