/**
 * The console in a real browser (Debian's Chromium through playwright-core; never a downloaded
 * browser): an administrator signs in through the hosted pages (password, then a TOTP code), searches
 * a user, disables them and deletes them, at a laptop-sized viewport; then every section again at a
 * phone-sized one. axe-core finds no serious or critical violation on any page, the pages' CSP
 * refuses nothing they need, and times are shown in the browser's locale and time zone.
 * Screenshots go to test/console/screenshots/ (git-ignored); with UPDATE_DOCS_SCREENSHOTS=1 a few
 * are copied to docs/images/ for docs/admin-console.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { registerUser } from '../support/test-app';
import { startProviderApp, type ProviderTestApp } from '../support/provider-app';
import { consoleUser } from '../support/console';
import { stepOf, totpAtStep } from '../mfa/totp-reference';
import { CHROMIUM, CHROMIUM_ARGS, describeWithChromium } from '../support/chromium';

const SCREENSHOTS = path.join(__dirname, 'screenshots');
const DOCS_IMAGES = path.join(__dirname, '../../../docs/images');
const FOR_DOCS = new Set(['laptop-users', 'laptop-user', 'laptop-app-secret', 'laptop-webhook', 'phone-user']);

jest.setTimeout(120_000);

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

let t: ProviderTestApp;
let browser: Browser;
const cspErrors: string[] = [];
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Serious or critical axe violations of the page as it is now, after a screenshot of it. */
async function check(page: Page, name: string): Promise<Array<{ page: string; id: string; help: string; targets: string[][] }>> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: name.startsWith('phone') });
  if (process.env.UPDATE_DOCS_SCREENSHOTS === '1' && FOR_DOCS.has(name))
    fs.copyFileSync(path.join(SCREENSHOTS, `${name}.png`), path.join(DOCS_IMAGES, `console-${name}.png`));
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(axeSource);
  const result = (await page.evaluate(() => (globalThis as unknown as { axe: { run(): Promise<{ violations: unknown[] }> } }).axe.run())) as {
    violations: AxeViolation[];
  };
  return result.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({ page: name, id: violation.id, help: violation.help, targets: violation.nodes.map((node) => node.target) }));
}

describeWithChromium('the admin console in Chromium', () => {
  beforeAll(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    if (process.env.UPDATE_DOCS_SCREENSHOTS === '1') fs.mkdirSync(DOCS_IMAGES, { recursive: true });
    t = await startProviderApp({ ADMIN_REQUIRE_MFA: 'true', WEBHOOK_ALLOW_INSECURE: 'true' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('signs in with a second factor, searches a user, disables and deletes them, with no serious axe violation on any page at a laptop and a phone size', async () => {
    const admin = await consoleUser(t);
    const target = await registerUser(t.app, { name: 'Dana Browser' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'de-DE', timezoneId: 'Europe/Berlin' });
    context.on('console', (message) => {
      if (message.type() === 'error' && /Refused to|Content Security Policy/i.test(message.text())) cspErrors.push(message.text());
    });
    const page = await context.newPage();
    const violations: Awaited<ReturnType<typeof check>> = [];

    // Sign in through the hosted pages, keyboard only.
    await page.goto(`${t.issuer}/console`);
    await page.waitForSelector('input[name=password]');
    violations.push(...(await check(page, 'laptop-sign-in')));
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByLabel('Password').press('Enter');
    await page.waitForSelector('input[name=code]');
    await page.locator('input[name=code]').fill(totpAtStep(admin.totpSecret!, (admin.step ?? stepOf(Date.now())) + 1));
    await page.locator('input[name=code]').press('Enter');
    await page.waitForURL(/\/console\/users$/);
    violations.push(...(await check(page, 'laptop-users')));
    // Times in the browser's locale and zone (de-DE, Berlin), where the script runs; UTC in the HTML.
    const shown = await page.locator('time').first().textContent();
    expect(shown).not.toMatch(/UTC/);
    expect(shown).toMatch(/\d{2}\.\d{2}\.\d{4}|\d{1,2}\. \w+\.? \d{4}/);

    // Search the user, open their page.
    await page.getByLabel('Email or name contains').fill('Dana Browser');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/search=Dana/);
    await page.getByRole('link', { name: target.email }).click();
    await page.waitForURL(new RegExp(`/console/users/${target.user.id}$`));
    violations.push(...(await check(page, 'laptop-user')));

    // Disable them.
    await page.getByRole('button', { name: 'Disable account' }).click();
    await page.waitForSelector('.notice');
    expect(await page.locator('.notice').textContent()).toMatch(/disabled/);
    violations.push(...(await check(page, 'laptop-user-disabled')));

    // A wrong address refuses the deletion; the right one deletes.
    await page.getByLabel('Type the user’s email address to confirm').fill('not-them@example.com');
    await page.getByRole('button', { name: 'Delete user' }).click();
    await page.waitForSelector('#delete-error');
    violations.push(...(await check(page, 'laptop-delete-refused')));
    await page.getByLabel('Type the user’s email address to confirm').fill(target.email);
    await page.getByRole('button', { name: 'Delete user' }).click();
    await page.waitForURL(/\/console\/users\?done=deleted$/);
    expect(await page.locator('.notice').textContent()).toMatch(/deleted/);
    expect(await t.database.query(`SELECT 1 FROM "user" WHERE id = $1`, [target.user.id])).toHaveLength(0);

    // The other sections.
    await page.goto(`${t.issuer}/console/audit?userId=${target.user.id}`);
    violations.push(...(await check(page, 'laptop-audit')));
    await page.goto(`${t.issuer}/console/apps/new`);
    violations.push(...(await check(page, 'laptop-app-new')));
    await page.getByLabel('Name').fill('Billing');
    await page.getByLabel('Redirect URIs, one per line', { exact: true }).fill('https://billing.example/callback');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.waitForSelector('#client-secret');
    violations.push(...(await check(page, 'laptop-app-secret')));
    await page.goto(`${t.issuer}/console/apps`);
    violations.push(...(await check(page, 'laptop-apps')));
    await page.goto(`${t.issuer}/console/webhooks/new`);
    violations.push(...(await check(page, 'laptop-webhook-new')));
    await page.getByLabel('URL').fill('http://127.0.0.1:9/hooks');
    await page.getByRole('button', { name: 'Add' }).click();
    await page.waitForSelector('#webhook-secret');
    await page.getByRole('button', { name: 'Send a test event' }).click();
    await page.waitForSelector('tbody tr');
    violations.push(...(await check(page, 'laptop-webhook')));

    // The same pages at a phone's size.
    const other = await registerUser(t.app, { name: 'Pat Phone' });
    await page.setViewportSize({ width: 375, height: 740 });
    for (const [name, url] of [
      ['phone-users', '/console/users'],
      ['phone-user', `/console/users/${other.user.id}`],
      ['phone-audit', '/console/audit'],
      ['phone-apps', '/console/apps'],
      ['phone-app-new', '/console/apps/new'],
      ['phone-webhooks', '/console/webhooks'],
    ] as const) {
      await page.goto(`${t.issuer}${url}`);
      violations.push(...(await check(page, name)));
    }
    // Nothing scrolls sideways on a phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.goto(`${t.issuer}/console/users/${other.user.id}`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);

    expect(violations).toEqual([]);
    expect(cspErrors).toEqual([]);
    await context.close();
  });
});
