/**
 * The Apps section over HTTP: the provider's clients through the ClientService that /admin/clients
 * calls, each action with its oauth.client_* event by the console's administrator; a new secret
 * shown once (never in a URL), a bad redirect URI re-rendered with the API's message.
 */
import { createHash } from 'node:crypto';
import { startProviderApp, type ProviderTestApp } from '../support/provider-app';
import { consoleUser, signInToConsole, type ConsoleUser } from '../support/console';
import type { BrowserSession, Page } from '../support/browser-session';

let t: ProviderTestApp;
let admin: ConsoleUser;
let browser: BrowserSession;

beforeAll(async () => {
  t = await startProviderApp({ ADMIN_REQUIRE_MFA: 'true' });
  admin = await consoleUser(t);
  ({ browser } = await signInToConsole(t, admin));
});
afterAll(() => t.close());

const open = (path: string) => browser.open(`${t.issuer}${path}`);
const eventsBy = async (type: string, clientId: string) =>
  t.database.query(`SELECT 1 FROM audit_event WHERE type = $1 AND data->>'clientId' = $2 AND "actorId" = $3`, [type, clientId, admin.id]);
const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('base64url');
const secretHashOf = async (id: string) =>
  (await t.database.query<{ secretHash: string | null }>(`SELECT "secretHash" FROM oauth_client WHERE id = $1`, [id]))[0]!.secretHash;
const secretOn = (page: Page) => page.document.querySelector('#client-secret')?.textContent.trim();

async function createApp(name: string): Promise<{ page: Page; id: string }> {
  const form = (await open('/console/apps/new')).form('form[action="/console/apps"]');
  const page = await form.submit({ name, redirectUris: 'https://app.example/callback\n\nhttps://app.example/other', postLogoutRedirectUris: '' });
  return { page, id: decodeURIComponent(page.url.pathname.split('/').pop()!) };
}

describe('the Apps section', () => {
  it('lists the apps, the console’s own among them', async () => {
    const page = await open('/console/apps');
    expect(page.status).toBe(200);
    expect(page.text()).toContain('Admin console');
  });

  it('registers a confidential app and shows its secret once, after the redirect, never in a URL (oauth.client_created)', async () => {
    const { page, id } = await createApp('Billing');
    expect(page.status).toBe(200);
    expect(page.hops.some((hop) => hop.endsWith('?done=created'))).toBe(true);
    const secret = secretOn(page)!;
    expect(secret).toMatch(/^\S{40,}$/);
    expect(await secretHashOf(id)).toBe(sha256(secret));
    expect(page.hops.join(' ')).not.toContain(secret);
    expect(page.text()).toContain('https://app.example/other');
    expect(await eventsBy('oauth.client_created', id)).toHaveLength(1);
    // Shown once: the same page again has no secret.
    expect(secretOn(await open(`/console/apps/${id}`))).toBeUndefined();
  });

  it('re-renders a bad redirect URI with the API’s message and a 400, creating nothing', async () => {
    const before = await t.database.query(`SELECT 1 FROM oauth_client`);
    const page = await (await open('/console/apps/new')).form('form[action="/console/apps"]').submit({ name: 'Bad', redirectUris: 'http://app.example/cb' });
    expect(page.status).toBe(400);
    expect(page.text()).toMatch(/redirectUris\.0: /);
    expect(page.document.querySelector('#name')!.getAttribute('value')).toBe('Bad');
    expect(await t.database.query(`SELECT 1 FROM oauth_client`)).toHaveLength(before.length);
  });

  it('edits the redirect URIs (oauth.client_updated), and re-renders a bad one with a 400', async () => {
    const { id } = await createApp('Shop');
    const page = await open(`/console/apps/${id}`);
    const saved = await page.form('form[action$="/redirect-uris"]').submit({ redirectUris: 'https://shop.example/cb' });
    expect(saved.text()).toMatch(/redirect URIs are saved/);
    const [row] = await t.database.query<{ redirectUris: string[] }>(`SELECT "redirectUris" FROM oauth_client WHERE id = $1`, [id]);
    expect(row!.redirectUris).toEqual(['https://shop.example/cb']);
    expect(await eventsBy('oauth.client_updated', id)).toHaveLength(1);

    const refused = await saved.form('form[action$="/redirect-uris"]').submit({ redirectUris: 'not a uri' });
    expect(refused.status).toBe(400);
    expect(refused.text()).toMatch(/redirectUris/);
    expect(refused.document.querySelector('#redirectUris')!.textContent).toBe('not a uri');
  });

  it('rotates the secret, showing the new one once (oauth.client_secret_rotated)', async () => {
    const { page, id } = await createApp('Reports');
    const first = secretOn(page)!;
    const rotated = await page.form('form[action$="/secret"]').submit();
    const second = secretOn(rotated)!;
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(await secretHashOf(id)).toBe(sha256(second));
    expect(rotated.text()).toMatch(/the old one no longer works/);
    expect(await eventsBy('oauth.client_secret_rotated', id)).toHaveLength(1);
  });

  it('deletes an app (oauth.client_deleted)', async () => {
    const { page, id } = await createApp('Old');
    const deleted = await page.form('form[action$="/delete"]').submit();
    expect(deleted.url.pathname).toBe('/console/apps');
    expect(deleted.text()).toMatch(/The app is deleted/);
    expect(await t.database.query(`SELECT 1 FROM oauth_client WHERE id = $1`, [id])).toHaveLength(0);
    expect(await eventsBy('oauth.client_deleted', id)).toHaveLength(1);
  });
});
