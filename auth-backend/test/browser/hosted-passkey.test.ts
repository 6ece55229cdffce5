/**
 * Passkeys on the hosted pages, in a real browser: Debian's Chromium (headless, playwright-core,
 * never a downloaded browser) with the DevTools Protocol's virtual authenticator. A person adds a
 * passkey (the JSON API, from a page of the service's origin), then an app sends them to the
 * provider and they sign in with the page's "Sign in with a passkey" button, no password; with a
 * TOTP factor on, the second-factor page's "Use a passkey" answers it. Each sign-in goes through
 * the same door and pipeline as the JSON API's (user.login with door passkey or mfa, the client's
 * id), the app gets an ID token with the sign-in's amr, and axe-core finds no serious violation.
 * The provider runs on `localhost` (WebAuthn refuses an IP address as RP id). Screenshots go to
 * test/browser/screenshots/ (git-ignored).
 */
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { BrowserContext, Page } from 'playwright-core';
import { registerUser, STRONG_PASSWORD } from '../support/test-app';
import { relyingParty, startProviderApp, type ProviderTestApp, type RelyingParty } from '../support/provider-app';
import { bearer } from '../support/admin';
import { addVirtualAuthenticator, describeWithChromium, launchChromium, seriousAxeViolations } from '../support/chromium';
import { stepOf, totpAtStep } from '../mfa/totp-reference';

const SCREENSHOTS = path.join(__dirname, 'screenshots');

describeWithChromium('passkeys on the hosted sign-in pages (Chromium, virtual authenticator)', () => {
  let t: ProviderTestApp;
  let context: BrowserContext;
  let callbackServer: http.Server;
  let callback: string;
  let rp: RelyingParty;
  const problems: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    t = await startProviderApp({ ADMIN_REQUIRE_MFA: 'false' }, { host: 'localhost' });
    // The app's redirect URI: a page that only says the browser got there (the test exchanges the code).
    callbackServer = http.createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!DOCTYPE html><title>app</title>'),
    );
    await new Promise<void>((resolve) => callbackServer.listen(0, '127.0.0.1', resolve));
    callback = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback`;
    const client = await t.registerClient({ name: 'Passkey App', type: 'confidential', redirectUris: [callback], grantTypes: ['authorization_code'] });
    rp = await relyingParty(t.issuer, client, callback);
    context = await launchChromium();
    context.on('console', (message) => {
      if (message.type() === 'error' && /Refused to|Content Security Policy/i.test(message.text())) problems.push(message.text());
    });
    context.on('weberror', (error) => problems.push(error.error().message));
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => callbackServer?.close(resolve));
    await t?.close();
  });

  /** Through the consent page when it shows (the first time), to the app's callback; the code exchanged there. */
  async function backAtTheApp(page: Page, authorization: Awaited<ReturnType<RelyingParty['authorize']>>) {
    const allow = page.getByRole('button', { name: 'Allow' });
    const atTheApp = (url: URL) => url.href.startsWith(callback);
    await Promise.race([page.waitForURL(atTheApp), allow.waitFor()]);
    if (!page.url().startsWith(callback)) {
      await allow.click();
      await page.waitForURL(atTheApp);
    }
    return rp.exchange(new URL(page.url()), authorization);
  }

  const lastLogin = async (userId: string) =>
    (
      await t.database.query<{ data: { door: string; amr: string[]; clientId?: string } }>(
        `SELECT data FROM audit_event WHERE "userId" = $1 AND type = 'user.login' ORDER BY at DESC LIMIT 1`,
        [userId],
      )
    )[0]!.data;

  it("signs in with a passkey by autofill and by the page's button, no password (amr hwk, mfa), and answers the second factor with one", async () => {
    const user = await registerUser(t.app);
    const page = await context.newPage();
    const { cdp, authenticatorId } = await addVirtualAuthenticator(context, page);

    // A passkey added through the JSON API from a page of the service's origin (the sign-in page has the library loaded).
    const first = await rp.authorize();
    await page.goto(first.url);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
    const added = await page.evaluate(async (token) => {
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const lib = (globalThis as unknown as { SimpleWebAuthnBrowser: { startRegistration(o: { optionsJSON: unknown }): Promise<unknown> } })
        .SimpleWebAuthnBrowser;
      const { options } = (await (await fetch('/auth/passkeys/registration/options', { method: 'POST', headers, body: '{}' })).json()) as { options: unknown };
      const response = await lib.startRegistration({ optionsJSON: options });
      return (await fetch('/auth/passkeys/registration', { method: 'POST', headers, body: JSON.stringify({ response, name: 'Chromium' }) })).status;
    }, user.accessToken);
    expect(added).toBe(201);
    expect((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials).toHaveLength(1);

    // Autofill ("conditional UI"): the page asks the browser for a passkey as it loads, and the browser offers
    // it in the email field; the virtual authenticator answers as a person picking it would. No click, no password.
    await page.goto(first.url);
    const tokens = await backAtTheApp(page, first);
    expect(tokens.claims()).toMatchObject({ sub: user.user.id, amr: ['hwk', 'mfa'] });
    const clientId = rp.configuration.clientMetadata().client_id;
    expect(await lastLogin(user.user.id)).toMatchObject({ door: 'passkey', amr: ['hwk', 'mfa'], clientId });

    // A browser without passkey autofill: the button, as the person sees it under the password form.
    await page.addInitScript(() => {
      (
        globalThis as unknown as { PublicKeyCredential: { isConditionalMediationAvailable(): Promise<boolean> } }
      ).PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);
    });
    const byButton = await rp.authorize({ prompt: 'login' });
    await page.goto(byButton.url);
    const button = page.getByRole('button', { name: 'Sign in with a passkey' });
    await button.waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'passkey-1-sign-in.png'), fullPage: true });
    expect(await seriousAxeViolations(page)).toEqual([]);
    await button.click();
    expect((await backAtTheApp(page, byButton)).claims()).toMatchObject({ sub: user.user.id, amr: ['hwk', 'mfa'] });
    expect(await lastLogin(user.user.id)).toMatchObject({ door: 'passkey', amr: ['hwk', 'mfa'], clientId });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'passkey-2-back-at-the-app.png') });

    // With TOTP on, a password sign-in asks for the second factor; the page offers the passkey for it.
    const setup = await request(t.app).post('/auth/mfa/totp/setup').set(bearer(user.accessToken)).expect(200);
    await request(t.app)
      .post('/auth/mfa/totp/confirm')
      .set(bearer(user.accessToken))
      .send({ code: totpAtStep(setup.body.secret, stepOf(Date.now())) })
      .expect(200);
    const second = await rp.authorize({ prompt: 'login' });
    await page.goto(second.url);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const usePasskey = page.getByRole('button', { name: 'Use a passkey' });
    await usePasskey.waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'passkey-3-second-factor.png'), fullPage: true });
    expect(await seriousAxeViolations(page)).toEqual([]);
    await usePasskey.click();
    const again = await backAtTheApp(page, second);
    expect(again.claims()!.amr).toEqual(expect.arrayContaining(['pwd', 'hwk', 'mfa']));
    expect(await lastLogin(user.user.id)).toMatchObject({ door: 'second-factor', amr: expect.arrayContaining(['pwd', 'hwk', 'mfa']) });
    await page.close();
    expect(problems).toEqual([]);
  });

  it('works without JavaScript: no passkey button, the password form signs in', async () => {
    const user = await registerUser(t.app);
    // Scripts never arrive (as with JavaScript off or blocked): the page stays the plain form.
    const page = await context.newPage();
    await page.route('**/assets/*.js', (route) => route.abort());
    const authorization = await rp.authorize({ prompt: 'login' });
    await page.goto(authorization.url);
    await page.getByLabel('Password').waitFor();
    expect(await page.getByRole('button', { name: 'Sign in with a passkey' }).count()).toBe(0);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const tokens = await backAtTheApp(page, authorization);
    expect(tokens.claims()).toMatchObject({ sub: user.user.id, amr: ['pwd'] });
    await page.close();
  });
});
