/**
 * Webhook secrets when KEY_ENCRYPTION_KEY changes: the real `npm run secrets:reseal` re-seals both
 * the current and the previous (rotated) secret, and deliveries made under the new value alone
 * still verify with the secrets the receiver holds.
 */
import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { createTestApp, type TestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { keyEnv, runOperatorCommand } from '../support/signing-keys';
import { bearer, registerAdmin } from '../support/admin';
import { eventually } from '../support/test-smtp';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const OLD = 'the-old-key-encryption-key-of-at-least-32-bytes';
const NEW = 'the-new-key-encryption-key-of-at-least-32-bytes';
const WEBHOOKS = { WEBHOOK_ALLOW_INSECURE: 'true', WEBHOOK_POLL_INTERVAL: '100ms' };

describe('npm run secrets:reseal and webhook secrets', () => {
  let database: TestDatabase;
  let hooks: WebhookReceiver;
  const apps: TestApp[] = [];
  const start = async (env: Record<string, string>) => {
    const t = await createTestApp(keyEnv({ JWT_ALGORITHM: 'HS256', ...WEBHOOKS, ...env }), { database });
    apps.push(t);
    return t;
  };
  beforeAll(async () => {
    database = await createTestDatabase({ migrated: true });
    hooks = await startWebhookReceiver();
  });
  afterAll(async () => {
    for (const t of apps) await t.close();
    await hooks.stop();
    await database?.drop();
  });

  it('re-seals the current and the previous secret; deliveries under the new value alone carry both signatures', async () => {
    const before = await start({ KEY_ENCRYPTION_KEY: OLD });
    const admin = await registerAdmin(before);
    const created = await request(before.app)
      .post('/admin/webhooks')
      .set(bearer(admin.accessToken))
      .send({ url: `${hooks.url}/hooks`, events: ['user.login_failed'] })
      .expect(201);
    const id = created.body.webhook.id as string;
    const rotated = await request(before.app).post(`/admin/webhooks/${id}/secret`).set(bearer(admin.accessToken)).expect(200);
    await before.close();
    apps.splice(apps.indexOf(before), 1);

    const run = runOperatorCommand('secrets:reseal', [], { DATABASE_URL: database.url, KEY_ENCRYPTION_KEY: NEW, KEY_ENCRYPTION_KEY_PREVIOUS: OLD });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('webhook secrets: 1 resealed, 0 already under KEY_ENCRYPTION_KEY, 0 unreadable\n');
    expect(run.stdout).not.toContain(created.body.secret.slice(6));

    const after = await start({ KEY_ENCRYPTION_KEY: NEW });
    await after.service.services.audit.record({ type: 'user.login_failed', userId: null });
    const [delivery] = await eventually(() => hooks.received.length > 0 && hooks.received);
    expect(new Webhook(created.body.secret).verify(delivery!.body, delivery!.headers)).toMatchObject({ type: 'user.login_failed' });
    expect(new Webhook(rotated.body.secret).verify(delivery!.body, delivery!.headers)).toMatchObject({ type: 'user.login_failed' });
  });
});
