/**
 * The hosted pages as the second front door of the one sign-in pipeline: the second factor on the
 * pages, CSRF tokens, throttles (per IP and per account, a 429 page), disabled accounts and
 * REQUIRE_VERIFIED_EMAIL (403 pages), and the pages' headers and markup (no JavaScript needed).
 */
import request from 'supertest';
import { registerUser, STRONG_PASSWORD } from '../support/test-app';
import { relyingParty, startProviderApp, type ProviderTestApp, type RelyingParty } from '../support/provider-app';
import { APP_CALLBACK, isSignInPage, newBrowser, submitPassword } from '../support/provider-flows';
import { bearer, registerAdmin } from '../support/admin';
import { stepOf, totpAtStep } from '../mfa/totp-reference';

let t: ProviderTestApp;
let rp: RelyingParty;
beforeAll(async () => {
  t = await startProviderApp({ THROTTLE_ACCOUNT_FREE_FAILURES: '2', ADMIN_REQUIRE_MFA: 'false' });
  const client = await t.registerClient({ name: 'Web App', type: 'confidential', redirectUris: [APP_CALLBACK], firstParty: true });
  rp = await relyingParty(t.issuer, client, APP_CALLBACK);
});
afterAll(() => t?.close());

/** The sign-in page of a fresh authorization request, in a fresh browser. */
async function signInPage(party = rp) {
  const browser = newBrowser();
  const authorization = await party.authorize();
  const page = await browser.open(authorization.url);
  expect(isSignInPage(page)).toBe(true);
  return { browser, authorization, page };
}

const sessionCount = async (userId: string) => (await t.database.query(`SELECT 1 FROM session WHERE "userId" = $1`, [userId])).length;

describe('the sign-in page', () => {
  it('asks for the second factor of an account that has one, and signs in with a TOTP code (amr pwd, otp)', async () => {
    const user = await registerUser(t.app);
    const setup = await request(t.app).post('/auth/mfa/totp/setup').set(bearer(user.accessToken)).expect(200);
    const step = stepOf(Date.now());
    await request(t.app)
      .post('/auth/mfa/totp/confirm')
      .set(bearer(user.accessToken))
      .send({ code: totpAtStep(setup.body.secret, step) })
      .expect(200);

    const { page, authorization } = await signInPage();
    const second = await submitPassword(page, user.email);
    expect(second.status).toBe(200);
    const form = second.form();
    expect(Object.keys(form.fields).sort()).toEqual(['code', 'csrf', 'mfaToken']);
    const wrong = await form.submit({ code: '000000' === totpAtStep(setup.body.secret, step + 1) ? '111111' : '000000' });
    expect(wrong.status).toBe(401);
    expect(wrong.text()).toMatch(/not valid/);
    const back = await wrong.form().submit({ code: totpAtStep(setup.body.secret, step + 1) });
    expect(back.url.origin + back.url.pathname).toBe(APP_CALLBACK);
    const tokens = await rp.exchange(back.url, authorization);
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp']);
  });

  it('refuses a POST without its CSRF token, or with another interaction’s, with a 403 page, and signs nobody in', async () => {
    const user = await registerUser(t.app);
    const before = await sessionCount(user.user.id);
    const { page, browser } = await signInPage();
    const other = await signInPage();
    const form = page.form();
    for (const csrf of [undefined, 'forged', other.page.form().fields.csrf!]) {
      const fields: Record<string, string> = { ...form.fields, email: user.email, password: STRONG_PASSWORD };
      if (csrf === undefined) delete fields.csrf;
      else fields.csrf = csrf;
      const refused = await browser.request(form.action, { method: 'POST', body: new URLSearchParams(fields) });
      expect(refused.status).toBe(403);
      expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
      expect(refused.text()).toMatch(/form has expired/);
    }
    expect(await sessionCount(user.user.id)).toBe(before);
    // The page's own token still works: nothing above spent the interaction.
    const accepted = await form.submit({ email: user.email, password: STRONG_PASSWORD });
    expect(accepted.url.origin + accepted.url.pathname).toBe(APP_CALLBACK);
    expect(await sessionCount(user.user.id)).toBe(before + 1);
  });

  it('takes a passkey answer through the page’s hidden form: its CSRF token first, then the same refusal as the JSON API, nobody signed in', async () => {
    const user = await registerUser(t.app);
    const before = await sessionCount(user.user.id);
    const { page, browser } = await signInPage();
    const form = page.form('#passkey-form');
    expect(Object.keys(form.fields).sort()).toEqual(['challengeId', 'csrf', 'response']);
    const forged = await browser.request(form.action, { method: 'POST', body: new URLSearchParams({ ...form.fields, csrf: 'forged' }) });
    expect(forged.status).toBe(403);
    // Not an assertion at all: the sign-in page again, with a 400 and its message.
    const garbled = await form.submit({ challengeId: 'nope', response: '{not json' });
    expect(garbled.status).toBe(400);
    expect(isSignInPage(garbled)).toBe(true);
    expect(garbled.text()).toMatch(/passkey sign-in did not complete/);
    // A well-formed answer to a challenge nobody issued: 401, the JSON API's one message whatever the cause.
    const answer = {
      id: 'AAAA',
      rawId: 'AAAA',
      type: 'public-key',
      clientExtensionResults: {},
      response: { clientDataJSON: 'AAAA', authenticatorData: 'AAAA', signature: 'AAAA', userHandle: 'AAAA' },
    };
    const unknown = await garbled.form('#passkey-form').submit({ challengeId: '00000000-0000-4000-8000-000000000000', response: JSON.stringify(answer) });
    expect(unknown.status).toBe(401);
    expect(unknown.text()).toMatch(/The passkey could not be verified/);
    expect(await sessionCount(user.user.id)).toBe(before);
  });

  it('answers 429 with a page and Retry-After once the account’s failures pass the throttle, for the right password too', async () => {
    const user = await registerUser(t.app);
    const { page } = await signInPage();
    let current = page;
    for (let attempt = 0; attempt < 3; attempt++) current = await submitPassword(current, user.email, `${STRONG_PASSWORD}!`);
    const throttled = await submitPassword(current, user.email);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(throttled.text()).toMatch(/Too many attempts/);
    expect(isSignInPage(throttled)).toBe(true);
  });

  it('answers a disabled account with a 403 page and no session', async () => {
    const admin = await registerAdmin(t);
    const user = await registerUser(t.app);
    await request(t.app).patch(`/admin/users/${user.user.id}`).set(bearer(admin.accessToken)).send({ disabled: true }).expect(200);
    const { page } = await signInPage();
    const refused = await submitPassword(page, user.email);
    expect(refused.status).toBe(403);
    expect(refused.text()).toMatch(/disabled/);
    const live = await t.database.query(`SELECT 1 FROM session WHERE "userId" = $1 AND "revokedAt" IS NULL`, [user.user.id]);
    expect(live).toEqual([]);
  });

  it('serves pages that work without JavaScript, with the contract’s headers, labels and autocomplete', async () => {
    const { page } = await signInPage();
    expect(page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'(;|$)/);
    expect(page.headers.get('content-security-policy')).not.toMatch(/unsafe-inline/);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.document.querySelector('html')!.getAttribute('lang')).toBe('en');
    // Scripts only for passkeys, from this origin under hashed names, never inline; the forms need none of them.
    for (const script of page.document.querySelectorAll('script')) {
      expect(script.getAttribute('src')).toMatch(/^\/assets\/[a-z-]+\.[0-9a-f]{12}\.js$/);
      expect(script.textContent).toBe('');
    }
    for (const input of page.document.querySelectorAll('input:not([type=hidden])')) {
      expect(page.document.querySelector(`label[for=${input.getAttribute('id')}]`)).not.toBeNull();
    }
    expect(page.document.querySelector('input[name=email]')!.getAttribute('autocomplete')).toBe('username webauthn');
    expect(page.document.querySelector('input[name=password]')!.getAttribute('autocomplete')).toBe('current-password');
    const stylesheet = page.document.querySelector('link[rel=stylesheet]')!.getAttribute('href')!;
    expect(stylesheet).toMatch(/^\/assets\/site\.[0-9a-f]{12}\.css$/);
    const css = await fetch(`${t.issuer}${stylesheet}`);
    expect(css.status).toBe(200);
    expect(css.headers.get('cache-control')).toMatch(/immutable/);
  });
});

describe('the sign-in page, with REQUIRE_VERIFIED_EMAIL and a per-IP limit', () => {
  let strict: ProviderTestApp;
  let party: RelyingParty;
  beforeAll(async () => {
    strict = await startProviderApp({ REQUIRE_VERIFIED_EMAIL: 'true', THROTTLE_IP_MAX: '3' });
    const client = await strict.registerClient({ name: 'Strict App', type: 'confidential', redirectUris: [APP_CALLBACK], firstParty: true });
    party = await relyingParty(strict.issuer, client, APP_CALLBACK);
  });
  afterAll(() => strict?.close());

  it('answers an unverified address 403, then 429 with Retry-After past the per-IP limit', async () => {
    const user = await registerUser(strict.app);
    const { page } = await signInPage(party);
    const unverified = await submitPassword(page, user.email);
    expect(unverified.status).toBe(403);
    expect(unverified.text()).toMatch(/Verify your email address/);
    let current = unverified;
    for (let attempt = 0; attempt < 3 && current.status !== 429; attempt++) current = await submitPassword(current, user.email);
    expect(current.status).toBe(429);
    expect(current.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
