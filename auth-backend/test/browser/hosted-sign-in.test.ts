/**
 * A real browser (Debian's Chromium, driven by playwright-core; never a downloaded browser) signs
 * in through the hosted pages once, end to end: a small relying-party app (openid-client) sends it
 * to the provider, the person signs in and allows, and the app ends up with tokens; and once more
 * with a TOTP code on the second-factor page (the ID token's amr pwd, otp). axe-core
 * (injected into each page) finds no serious or critical violation on any hosted page, and the
 * pages' CSP lets everything they need through (no CSP error on the console). Screenshots go to
 * test/browser/screenshots/ (git-ignored).
 */
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { BrowserContext, Page } from 'playwright-core';
import { registerUser, STRONG_PASSWORD } from '../support/test-app';
import { relyingParty, startProviderApp, type ProviderTestApp, type RelyingParty, type AuthorizationRequest } from '../support/provider-app';
import { bearer } from '../support/admin';
import { stepOf, totpAtStep } from '../mfa/totp-reference';
import { describeWithChromium, launchChromium, seriousAxeViolations } from '../support/chromium';

const SCREENSHOTS = path.join(__dirname, 'screenshots');

jest.setTimeout(120_000);

let t: ProviderTestApp;
let context: BrowserContext;
let appServer: http.Server;
let appUrl: string;
let rp: RelyingParty;
const consoleErrors: string[] = [];

/** The relying party as a tiny web app: /login sends the browser to the provider, /callback exchanges the code. */
async function startRelyingPartyApp(): Promise<void> {
  const pending = new Map<string, AuthorizationRequest>();
  appServer = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', appUrl);
    void (async () => {
      if (url.pathname === '/login') {
        const authorization = await rp.authorize({ scope: 'openid email profile' });
        pending.set(authorization.state, authorization);
        res.writeHead(302, { location: authorization.url }).end();
      } else if (url.pathname === '/callback') {
        const authorization = pending.get(url.searchParams.get('state') ?? '')!;
        const tokens = await rp.exchange(url, authorization);
        const claims = tokens.claims()!;
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(
          `<!DOCTYPE html><html lang="en"><title>Example app</title><h1 id="who">Signed in as ${claims.sub}</h1><p id="token">access token: ${tokens.access_token.length} characters</p></html>`,
        );
      } else res.writeHead(404).end();
    })().catch((error: unknown) => res.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => appServer.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}`;
}

async function axe(page: Page, name: string) {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  return seriousAxeViolations(page);
}

describeWithChromium('the hosted pages in Chromium', () => {
  beforeAll(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    t = await startProviderApp({ ADMIN_REQUIRE_MFA: 'false' });
    await startRelyingPartyApp();
    const client = await t.registerClient({
      name: 'Example App',
      type: 'confidential',
      redirectUris: [`${appUrl}/callback`],
      postLogoutRedirectUris: [`${appUrl}/`],
      grantTypes: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    });
    rp = await relyingParty(t.issuer, client, `${appUrl}/callback`);
    context = await launchChromium();
    context.on('console', (message) => {
      // What the pages' Content-Security-Policy refused (a 404 for /favicon.ico and the error page's own 400 are expected).
      if (message.type() === 'error' && /Refused to|Content Security Policy/i.test(message.text())) consoleErrors.push(message.text());
    });
  });
  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => appServer?.close(resolve));
    await t?.close();
  });

  it('signs in end to end (app, sign-in page, consent, back at the app with tokens), each page free of serious axe violations', async () => {
    const user = await registerUser(t.app);
    const page = await context.newPage();
    await page.goto(`${appUrl}/login`);
    await page.waitForSelector('input[name=password]');
    expect(await axe(page, '1-sign-in')).toEqual([]);
    // Keyboard only: tab into the fields, Enter submits.
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(STRONG_PASSWORD);
    await page.getByLabel('Password').press('Enter');
    await page.waitForSelector('button[name=decision][value=allow]');
    expect(await axe(page, '2-consent')).toEqual([]);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForSelector('#who');
    expect(page.url()).toMatch(new RegExp(`^${appUrl}/callback`));
    expect(await page.textContent('#who')).toBe(`Signed in as ${user.user.id}`);
    await page.screenshot({ path: path.join(SCREENSHOTS, '3-back-at-the-app.png') });
    await page.close();
    expect(consoleErrors).toEqual([]);
  });

  it('signs in with a TOTP code on the hosted second-factor page: the app gets an ID token with amr pwd and otp', async () => {
    const user = await registerUser(t.app);
    const setup = await request(t.app).post('/auth/mfa/totp/setup').set(bearer(user.accessToken)).expect(200);
    const enrolledAt = stepOf(Date.now());
    await request(t.app)
      .post('/auth/mfa/totp/confirm')
      .set(bearer(user.accessToken))
      .send({ code: totpAtStep(setup.body.secret, enrolledAt) })
      .expect(200);
    const page = await context.newPage();
    const authorization = await rp.authorize({ prompt: 'login', scope: 'openid' });
    await page.goto(authorization.url);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // The next time step's code: the one that confirmed the factor is spent.
    await page.getByLabel('Authentication code').fill(totpAtStep(setup.body.secret, enrolledAt + 1));
    await page.screenshot({ path: path.join(SCREENSHOTS, '4-second-factor-code.png'), fullPage: true });
    const callback = page.waitForRequest((sent) => sent.url().startsWith(`${appUrl}/callback`));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForSelector('button[name=decision][value=allow]');
    await page.getByRole('button', { name: 'Allow' }).click();
    const tokens = await rp.exchange(new URL((await callback).url()), authorization);
    expect(tokens.claims()).toMatchObject({ sub: user.user.id, amr: ['pwd', 'otp'] });
    await page.close();
  });

  it('has no serious axe violation on the second-factor, device, logout and error pages', async () => {
    const user = await registerUser(t.app);
    const setup = await request(t.app).post('/auth/mfa/totp/setup').set(bearer(user.accessToken)).expect(200);
    await request(t.app)
      .post('/auth/mfa/totp/confirm')
      .set(bearer(user.accessToken))
      .send({ code: totpAtStep(setup.body.secret, stepOf(Date.now())) })
      .expect(200);
    const page = await context.newPage();
    await page.goto(`${appUrl}/login`);
    // The first test's browser session signs this one in at once: start from a fresh sign-in.
    await page.goto((await rp.authorize({ prompt: 'login' })).url);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForSelector('input[name=code]');
    expect(await axe(page, '4-second-factor')).toEqual([]);

    await page.goto(`${t.issuer}/oidc/device`);
    expect(await axe(page, '5-device-entry')).toEqual([]);
    const device = await rp.oidc.initiateDeviceAuthorization(rp.configuration, { scope: 'openid' });
    await page.getByLabel('Code').fill(device.user_code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForSelector('button[name=decision][value=deny]');
    expect(await axe(page, '6-device-confirm')).toEqual([]);

    await page.goto(`${t.issuer}/oidc/session/end`);
    await page.waitForSelector('button[name=logout]');
    expect(await axe(page, '7-logout')).toEqual([]);

    await page.goto(`${t.issuer}/oidc/auth?client_id=unknown&response_type=code&scope=openid`);
    expect(await axe(page, '8-error')).toEqual([]);
    await page.setViewportSize({ width: 375, height: 700 });
    await page.goto((await rp.authorize({ prompt: 'login' })).url);
    await page.screenshot({ path: path.join(SCREENSHOTS, '9-sign-in-phone.png'), fullPage: true });
    await page.close();
    expect(consoleErrors).toEqual([]);
  });
});
