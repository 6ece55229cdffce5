/**
 * The Webhooks section over HTTP, against a real receiver on loopback: add a webhook (its secret
 * shown once, verified against a real delivery with the reference package), disable and enable it,
 * see its deliveries with their status, retry one; each change with its webhook.* event by the
 * console's administrator. A refused URL is re-rendered with the service's message.
 */
import { Webhook } from 'standardwebhooks';
import { startProviderApp, type ProviderTestApp } from '../support/provider-app';
import { consoleUser, signInToConsole, type ConsoleUser } from '../support/console';
import type { BrowserSession, Page } from '../support/browser-session';
import { registerUser } from '../support/test-app';
import { eventually } from '../support/test-smtp';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

let t: ProviderTestApp;
let admin: ConsoleUser;
let browser: BrowserSession;
let receiver: WebhookReceiver;
let answer = 500;

beforeAll(async () => {
  // One attempt and one retry 200 ms later, so a failing delivery ends failed quickly.
  t = await startProviderApp({ ADMIN_REQUIRE_MFA: 'true', WEBHOOK_ALLOW_INSECURE: 'true', WEBHOOK_RETRY_SCHEDULE: '200ms', WEBHOOK_POLL_INTERVAL: '100ms' });
  admin = await consoleUser(t);
  ({ browser } = await signInToConsole(t, admin));
  receiver = await startWebhookReceiver(() => answer);
});
afterAll(async () => {
  await receiver.stop();
  await t.close();
});

const open = (path: string) => browser.open(`${t.issuer}${path}`);
const eventsBy = (type: string, webhookId: string) =>
  t.database.query(`SELECT 1 FROM audit_event WHERE type = $1 AND data->>'webhookId' = $2 AND "actorId" = $3`, [type, webhookId, admin.id]);

async function addWebhook(events: string): Promise<{ page: Page; id: string }> {
  const page = await (await open('/console/webhooks/new')).form('form[action="/console/webhooks"]').submit({ url: `${receiver.url}/hooks`, events });
  return { page, id: decodeURIComponent(page.url.pathname.split('/').pop()!) };
}

describe('the Webhooks section', () => {
  it('adds a webhook, shows its secret once, and the secret verifies a real delivery (webhook.created)', async () => {
    answer = 204;
    const { page, id } = await addWebhook('user.registered');
    expect(page.status).toBe(200);
    expect(page.text()).toMatch(/The webhook is added/);
    const secret = page.document.querySelector('#webhook-secret')!.textContent.trim();
    expect(secret).toMatch(/^whsec_/);
    expect(page.hops.join(' ')).not.toContain(secret);
    expect(await eventsBy('webhook.created', id)).toHaveLength(1);
    expect((await open(`/console/webhooks/${id}`)).document.querySelector('#webhook-secret')).toBeNull();

    const before = receiver.received.length;
    await registerUser(t.app);
    const delivery = await eventually(() => receiver.received.length > before && receiver.received[before]);
    expect(new Webhook(secret).verify(delivery.body, delivery.headers)).toMatchObject({ type: 'user.registered' });
    const list = await open('/console/webhooks');
    expect(list.text()).toContain(`${receiver.url}/hooks`);
  });

  it('re-renders a refused value with the message and a 400, adding nothing', async () => {
    const page = await (await open('/console/webhooks/new'))
      .form('form[action="/console/webhooks"]')
      .submit({ url: `${receiver.url}/x`, events: 'no.such_event' });
    expect(page.status).toBe(400);
    expect(page.text()).toMatch(/events\.0/);
    expect(page.document.querySelector('#events')!.getAttribute('value')).toBe('no.such_event');
    const badUrl = await page.form('form[action="/console/webhooks"]').submit({ url: 'ftp://example.com/x', events: '*' });
    expect(badUrl.status).toBe(400);
    expect(badUrl.text()).toMatch(/not allowed/);
  });

  it('disables and enables a webhook (webhook.updated)', async () => {
    const { page, id } = await addWebhook('*');
    const disabled = await page.form('form[action$="/disable"]').submit();
    expect(disabled.text()).toMatch(/The webhook is disabled/);
    expect(disabled.text()).toMatch(/State\s*disabled/);
    const enabled = await disabled.form('form[action$="/enable"]').submit();
    expect(enabled.text()).toMatch(/State\s*enabled/);
    expect(await eventsBy('webhook.updated', id)).toHaveLength(2);
  });

  it('lists deliveries with their status and retries a failed one, which is then delivered with the same webhook-id', async () => {
    answer = 500;
    const { page, id } = await addWebhook('passkey.clone_suspected');
    await page.form('form[action$="/test"]').submit();
    await eventually(async () => (await t.database.query(`SELECT 1 FROM webhook_delivery WHERE "webhookId" = $1 AND status = 'failed'`, [id])).length > 0);
    const failed = await open(`/console/webhooks/${id}?status=failed`);
    expect(failed.document.querySelectorAll('tbody tr')).toHaveLength(1);
    expect(failed.text()).toMatch(/failed \(HTTP 500\)/);
    const deliveryId = failed.document.querySelector('tbody td .code')!.textContent.trim();
    const attemptsBefore = receiver.received.length;

    answer = 204;
    const retried = await failed.form('form[action$="/retry"]').submit();
    expect(retried.text()).toMatch(/sent again now/);
    const again = await eventually(() => receiver.received.slice(attemptsBefore).find((request) => request.json.type === 'webhook.test'));
    expect(again.headers['webhook-id']).toBe(deliveryId);
    await eventually(async () => (await open(`/console/webhooks/${id}?status=delivered`)).document.querySelectorAll('tbody tr').length === 1);
  });
});
