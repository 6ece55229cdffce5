/**
 * Debian's Chromium for the browser tests (driven by playwright-core; never a downloaded browser).
 * Where it is missing the browser suites are skipped with a warning, except in CI (CI=true), where
 * .ci/run installs it and a missing browser must fail the run rather than skip what it proves.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const available = fs.existsSync(CHROMIUM);
const required = process.env.CI === 'true';

/** `describe` when Chromium can run (or CI requires it), else `describe.skip` with one warning. */
export function describeWithChromium(name: string, body: () => void): void {
  if (available || required) {
    describe(name, () => {
      if (!available) it(`needs ${CHROMIUM} (apt-get install chromium)`, () => expect(fs.existsSync(CHROMIUM)).toBe(true));
      else body();
    });
    return;
  }
  console.warn(`browser tests skipped: no ${CHROMIUM} (Debian's chromium package: apt-get install chromium)`);
  describe.skip(name, body);
}

/** How the tests start Debian's Chromium: no sandbox (containers, root), nothing that reaches the network by itself. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's Chromium, headless, with a throw-away profile; closing the context removes the profile (when Chromium has let go of it). */
export async function launchChromium(options: { viewport?: { width: number; height: number } } = {}): Promise<BrowserContext> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    ...(options.viewport ? { viewport: options.viewport } : {}),
  });
  context.on('close', () => {
    try {
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    } catch {
      // Chromium's last writes can race the removal: a leftover profile in the temp folder is harmless.
    }
  });
  return context;
}

/** A CTAP2 platform authenticator with resident keys and user verification, on `page` (the DevTools Protocol's WebAuthn domain). */
export async function addVirtualAuthenticator(context: BrowserContext, page: Page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

/** Serious or critical axe-core violations of the page (axe injected through the DevTools Protocol, which the page's CSP does not govern). */
export async function seriousAxeViolations(
  page: Page,
): Promise<Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }>> {
  await page.evaluate(fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const result = (await page.evaluate(() => (globalThis as unknown as { axe: { run(): Promise<{ violations: unknown[] }> } }).axe.run())) as {
    violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }>;
  };
  return result.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}
