/**
 * Passkeys in a real browser: Debian's Chromium (headless, driven by playwright-core, never a
 * downloaded browser) with the DevTools Protocol's virtual authenticator (a CTAP2 platform
 * authenticator with resident keys and user verification) registers a passkey and signs in with
 * it, username-less, from a small page on the service's origin that calls the JSON API with
 * @simplewebauthn/browser (its bundle served from the same origin, under the service's own CSP).
 * Screenshots go to test/passkeys/screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import express from 'express';
import helmet from 'helmet';
import type { BrowserContext, Page } from 'playwright-core';
import { HELMET_OPTIONS } from '../../src/app';
import { createTestApp, registerUser, type TestApp } from '../support/test-app';
import { claimsOf } from '../support/admin';
import { addVirtualAuthenticator, describeWithChromium, launchChromium } from '../support/chromium';

const PAGE_DIR = path.join(__dirname, 'browser-page');
const SCREENSHOTS = path.join(__dirname, 'screenshots');
// The package exports only its modules: its browser bundle is found beside them.
const BUNDLE = path.join(path.dirname(require.resolve('@simplewebauthn/browser')), '../dist/bundle/index.umd.min.js');

/** A free port, so that PUBLIC_URL (and with it the RP id and origin) is known before the app is built. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describeWithChromium('passkeys in Chromium with a virtual authenticator', () => {
  let t: TestApp;
  let server: Server;
  let origin: string;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    const port = await freePort();
    origin = `http://localhost:${port}`;
    t = await createTestApp({ PUBLIC_URL: origin });
    // The test page and the browser bundle on the service's origin, under the service's own headers; everything else is the service.
    const site = express();
    site.use('/passkey-test', helmet(HELMET_OPTIONS));
    site.get('/passkey-test/simplewebauthn-browser.js', (_req, res) => res.type('application/javascript').sendFile(BUNDLE));
    site.use('/passkey-test', express.static(PAGE_DIR));
    site.use(t.app);
    server = site.listen(port, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));

    context = await launchChromium({ viewport: { width: 900, height: 420 } });
    page = context.pages()[0] ?? (await context.newPage());
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => server?.close(resolve));
    await t?.close();
  });

  it('registers a passkey on the virtual authenticator and signs in with it, username-less (amr hwk, mfa)', async () => {
    const { cdp, authenticatorId } = await addVirtualAuthenticator(context, page);
    const user = await registerUser(t.app);
    // Every answer the page got that was not a success (the browser's own favicon probe aside), and any script error.
    const failures: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) failures.push(`${response.status()} ${response.url()}`);
    });
    page.on('pageerror', (error) => failures.push(error.message));

    await page.goto(`${origin}/passkey-test/index.html#${new URLSearchParams({ token: user.accessToken, email: user.email })}`);
    await page.screenshot({ path: path.join(SCREENSHOTS, '1-page.png') });

    await page.click('#add');
    await page.waitForSelector('#status.done, #status.error');
    await page.screenshot({ path: path.join(SCREENSHOTS, '2-passkey-added.png') });
    expect(await page.textContent('#status')).toBe('Passkey added: Test browser (singleDevice, transports internal)');
    // The authenticator holds one discoverable credential for the RP id.
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toEqual([expect.objectContaining({ isResidentCredential: true, rpId: 'localhost', signCount: expect.any(Number) })]);
    expect(Buffer.from(credentials[0]!.userHandle!, 'base64').toString()).toBe(user.user.id);

    await page.click('#sign-in');
    await page.waitForSelector('#status.done:has-text("Signed in"), #status.error');
    await page.screenshot({ path: path.join(SCREENSHOTS, '3-signed-in.png') });
    expect(await page.textContent('#status')).toBe(`Signed in as ${user.email} with no password (amr hwk, mfa).`);
    expect(failures).toEqual([]);

    // What the browser did, as the service saw it: one passkey, used once, and a passkey session.
    const [passkey] = await t.database.query<{ lastUsedAt: Date | null; counter: string }>(`SELECT "lastUsedAt", counter FROM passkey WHERE "userId" = $1`, [
      user.user.id,
    ]);
    expect(passkey!.lastUsedAt).not.toBeNull();
    const [login] = await t.database.query<{ data: { door: string; amr: string[] } }>(
      `SELECT data FROM audit_event WHERE "userId" = $1 AND type = 'user.login' ORDER BY at DESC LIMIT 1`,
      [user.user.id],
    );
    expect(login!.data).toMatchObject({ door: 'passkey', amr: ['hwk', 'mfa'] });
    expect(claimsOf(user.accessToken).amr).toEqual(['pwd']);
  });
});
