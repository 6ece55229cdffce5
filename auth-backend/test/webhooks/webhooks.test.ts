/**
 * Webhooks end to end: the real app on its own database, real HTTP receivers on loopback, each
 * delivery's signature verified with the reference package `standardwebhooks`.
 */
import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { createTestApp, registerUser, type TestApp } from '../support/test-app';
import { bearer, registerAdmin } from '../support/admin';
import { eventually } from '../support/test-smtp';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver';

const FAST_WEBHOOKS = { WEBHOOK_ALLOW_INSECURE: 'true', WEBHOOK_RETRY_SCHEDULE: '200ms,400ms', WEBHOOK_POLL_INTERVAL: '100ms', WEBHOOK_TIMEOUT: '1s' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('webhooks', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof registerAdmin>>;
  const receivers: WebhookReceiver[] = [];

  beforeEach(async () => {
    t = await createTestApp(FAST_WEBHOOKS);
    admin = await registerAdmin(t);
  });
  afterEach(async () => {
    await t.close();
    await Promise.all(receivers.splice(0).map((receiver) => receiver.stop()));
  });

  async function receiver(respond?: WebhookReceiver['respond']): Promise<WebhookReceiver> {
    const started = await startWebhookReceiver(respond);
    receivers.push(started);
    return started;
  }

  async function register(url: string, events: string[] = ['*']): Promise<{ id: string; secret: string }> {
    const response = await request(t.app).post('/admin/webhooks').set(bearer(admin.accessToken)).send({ url, events }).expect(201);
    expect(response.body.secret).toMatch(/^whsec_/);
    return { id: response.body.webhook.id, secret: response.body.secret };
  }

  const verify = (secret: string, received: ReceivedWebhook) => new Webhook(secret).verify(received.body, received.headers);
  const deliveriesOf = async (id: string, query = '') =>
    (await request(t.app).get(`/admin/webhooks/${id}/deliveries${query}`).set(bearer(admin.accessToken)).expect(200)).body.deliveries as Array<
      Record<string, unknown>
    >;

  describe('POST /admin/webhooks', () => {
    it('delivers an event signed in the Standard Webhooks format, with the user as the API shows it', async () => {
      const hooks = await receiver();
      const { secret } = await register(`${hooks.url}/hooks`, ['user.registered']);

      const user = await registerUser(t.app, { name: 'Webhook Person' });

      const [delivery] = await eventually(() => hooks.received.length > 0 && hooks.received);
      expect(verify(secret, delivery!)).toMatchObject({ type: 'user.registered' });
      expect(delivery!.headers['content-type']).toBe('application/json');
      expect(delivery!.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
      expect(delivery!.json.data.user).toEqual({
        id: user.user.id,
        email: user.email,
        name: 'Webhook Person',
        createdAt: expect.stringMatching(/Z$/),
        emailVerified: false,
        mfaEnabled: false,
      });
      expect(delivery!.json.data.event).toMatchObject({ type: 'user.registered', userId: user.user.id });
      expect(() => verify('whsec_' + Buffer.alloc(32, 1).toString('base64'), delivery!)).toThrow();
      await sleep(300);
      expect(hooks.received).toHaveLength(1);
    });

    it('refuses a name resolving to 127.0.0.1 in production mode (400 invalid_webhook_url), and an http URL', async () => {
      const production = await createTestApp({ ...FAST_WEBHOOKS, WEBHOOK_ALLOW_INSECURE: 'false' }, { database: t.database });
      try {
        for (const url of [
          'https://localhost:8443/hooks',
          'https://127.0.0.1/hooks',
          'https://[::1]/x',
          'http://example.com/hooks',
          'https://169.254.169.254/latest',
        ]) {
          const response = await request(production.app)
            .post('/admin/webhooks')
            .set(bearer(admin.accessToken))
            .send({ url, events: ['*'] });
          expect({ url, status: response.status, code: response.body.code }).toEqual({ url, status: 400, code: 'invalid_webhook_url' });
        }
      } finally {
        await production.close();
      }
    });
  });

  it('checks the address at every connection: a stored URL whose name resolves to loopback is never connected to', async () => {
    const hooks = await receiver();
    const { id } = await register(`${hooks.url}/hooks`, ['user.registered']);
    // As if DNS had changed after registration: the URL now names loopback, in production mode.
    await t.database.query(`UPDATE webhook SET url = $2 WHERE id = $1`, [id, `https://localhost:${hooks.port}/hooks`]);
    const production = await createTestApp({ ...FAST_WEBHOOKS, WEBHOOK_ALLOW_INSECURE: 'false', WEBHOOK_RETRY_SCHEDULE: 'none' }, { database: t.database });
    try {
      await t.service.lifecycle.stop();
      await registerUser(production.app);
      const [failed] = await eventually(async () => {
        const rows = await t.database.query<{ status: string; lastError: string }>(`SELECT status, "lastError" FROM webhook_delivery WHERE "webhookId" = $1`, [
          id,
        ]);
        return rows[0]?.status === 'failed' && rows;
      });
      expect(failed!.lastError).toMatch(/refused: localhost resolves to 127\.0\.0\.1, a loopback address/);
      expect(hooks.received).toHaveLength(0);
    } finally {
      await production.close();
    }
  });

  it('retries with one webhook-id and backoff, then records the delivery as failed', async () => {
    const hooks = await receiver(() => 500);
    const { id } = await register(`${hooks.url}/hooks`, ['user.registered']);

    await registerUser(t.app);

    await eventually(async () => (await deliveriesOf(id))[0]?.status === 'failed');
    expect(hooks.received).toHaveLength(3);
    expect(new Set(hooks.received.map((received) => received.headers['webhook-id'])).size).toBe(1);
    expect(new Set(hooks.received.map((received) => received.body)).size).toBe(1);
    const gaps = [hooks.received[1]!.at - hooks.received[0]!.at, hooks.received[2]!.at - hooks.received[1]!.at];
    expect(gaps[0]).toBeGreaterThanOrEqual(150);
    expect(gaps[1]).toBeGreaterThanOrEqual(300);
    const [delivery] = await deliveriesOf(id);
    expect(delivery).toMatchObject({
      id: hooks.received[0]!.headers['webhook-id'],
      eventType: 'user.registered',
      status: 'failed',
      attempts: 3,
      lastStatusCode: 500,
    });
    expect(delivery!.nextAttemptAt).toBeNull();

    // Manual retry: delivered again now, the same webhook-id.
    hooks.respond = () => 200;
    await request(t.app).post(`/admin/webhooks/${id}/deliveries/${delivery!.id}/retry`).set(bearer(admin.accessToken)).expect(202);
    await eventually(async () => (await deliveriesOf(id))[0]?.status === 'delivered');
    expect(hooks.received[3]!.headers['webhook-id']).toBe(delivery!.id);
  });

  it('disables an endpoint whose every attempt failed for WEBHOOK_DISABLE_AFTER, with its reason', async () => {
    const hooks = await receiver(() => 503);
    const { id } = await register(`${hooks.url}/hooks`, ['user.registered']);
    await t.service.lifecycle.stop();
    const patient = await createTestApp(
      { ...FAST_WEBHOOKS, WEBHOOK_RETRY_SCHEDULE: Array(20).fill('300ms').join(','), WEBHOOK_DISABLE_AFTER: '1s' },
      { database: t.database },
    );
    try {
      await registerUser(patient.app);
      const webhook = await eventually(async () => {
        const body = (await request(patient.app).get(`/admin/webhooks/${id}`).set(bearer(admin.accessToken)).expect(200)).body.webhook;
        return body.enabled === false && body;
      });
      expect(webhook.disabledReason).toMatch(/^failing: every attempt failed for 1 s/);
      expect(hooks.received.length).toBeGreaterThanOrEqual(3);
      expect(hooks.received.length).toBeLessThan(10);
      // Enabled again by an administrator: the streak starts over and the waiting delivery goes out.
      hooks.respond = () => 204;
      await request(patient.app).patch(`/admin/webhooks/${id}`).set(bearer(admin.accessToken)).send({ enabled: true }).expect(200);
      await eventually(async () => (await deliveriesOf(id))[0]?.status === 'delivered');
    } finally {
      await patient.close();
    }
  });

  it('does not follow a redirect', async () => {
    const target = await receiver();
    const hooks = await receiver(() => ({ status: 307, headers: { location: `${target.url}/elsewhere` } }));
    const { id } = await register(`${hooks.url}/hooks`, ['user.registered']);

    await registerUser(t.app);

    await eventually(async () => (await deliveriesOf(id))[0]?.status === 'failed');
    expect(hooks.received).toHaveLength(3);
    expect(target.received).toHaveLength(0);
    expect((await deliveriesOf(id))[0]).toMatchObject({ lastStatusCode: 307, lastError: expect.stringMatching(/redirects are not followed/) });
  });

  it('disables the endpoint at once on 410 Gone, with a webhook.disabled audit event', async () => {
    const hooks = await receiver(() => 410);
    const { id } = await register(`${hooks.url}/hooks`, ['user.registered']);

    await registerUser(t.app);
    await registerUser(t.app);

    const webhook = await eventually(async () => {
      const body = (await request(t.app).get(`/admin/webhooks/${id}`).set(bearer(admin.accessToken)).expect(200)).body.webhook;
      return body.enabled === false && body;
    });
    expect(webhook.disabledReason).toMatch(/410/);
    await sleep(500);
    expect(hooks.received).toHaveLength(1);
    const events = await t.database.query<{ data: { webhookId: string } }>(`SELECT data FROM audit_event WHERE type = 'webhook.disabled'`);
    expect(events.map((event) => event.data.webhookId)).toEqual([id]);
  });

  it('sends nothing for a change that rolled back', async () => {
    const hooks = await receiver();
    await register(`${hooks.url}/hooks`, ['*']);
    const user = await registerUser(t.app);
    await eventually(() => hooks.received.length >= 2);
    const before = hooks.received.length;

    // A password change whose transaction fails at COMMIT, after everything (its delivery too) was written.
    await t.database.query(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$`);
    await t.database.query(
      `CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON webhook_delivery DEFERRABLE INITIALLY DEFERRED
       FOR EACH ROW WHEN (NEW."eventType" = 'password.changed') EXECUTE FUNCTION refuse()`,
    );
    const response = await request(t.app)
      .post('/auth/password')
      .set(bearer(user.accessToken))
      .send({ currentPassword: user.password, newPassword: 'another perfectly good passphrase' });
    expect(response.status).toBe(500);

    await sleep(800);
    expect(hooks.received.slice(before).filter((received) => received.json.type === 'password.changed')).toEqual([]);
    expect(await t.database.query(`SELECT 1 FROM webhook_delivery WHERE "eventType" = 'password.changed'`)).toHaveLength(0);
    expect(await t.database.query(`SELECT 1 FROM audit_event WHERE type = 'password.changed'`)).toHaveLength(0);
  });

  it('signs with both secrets for a day after a rotation', async () => {
    const hooks = await receiver();
    const { id, secret } = await register(`${hooks.url}/hooks`, ['user.registered']);
    const rotated = await request(t.app).post(`/admin/webhooks/${id}/secret`).set(bearer(admin.accessToken)).expect(200);
    const newSecret = rotated.body.secret as string;
    expect(newSecret).toMatch(/^whsec_/);

    await registerUser(t.app);

    const [delivery] = await eventually(() => hooks.received.length > 0 && hooks.received);
    expect(delivery!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verify(secret, delivery!)).toBeTruthy();
    expect(verify(newSecret, delivery!)).toBeTruthy();
    // Stored sealed, never in the clear.
    const [row] = await t.database.query<Record<string, string>>(`SELECT * FROM webhook WHERE id = $1`, [id]);
    expect(JSON.stringify(row)).not.toContain(secret.slice(6));
    expect(JSON.stringify(row)).not.toContain(newSecret.slice(6));
  });

  it('counts deliveries by outcome and shows the queue in the metrics', async () => {
    const hooks = await receiver((_request, index) => (index === 0 ? 500 : 204));
    await t.service.lifecycle.stop();
    const measured = await createTestApp({ ...FAST_WEBHOOKS, METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' }, { database: t.database });
    try {
      await register(`${hooks.url}/hooks`, ['user.login_failed']);
      await measured.service.services.audit.record({ type: 'user.login_failed', userId: null });
      await eventually(() => hooks.received.length >= 2);
      const text = await eventually(async () => {
        const metrics = await measured.service.services.metrics!.registry.metrics();
        return metrics.includes('webhook_deliveries_total{outcome="delivered"} 1') && metrics;
      });
      expect(text).toContain('webhook_deliveries_total{outcome="retry"} 1');
      expect(text).toMatch(/^webhook_queue_depth 0$/m);
      expect(text).toMatch(/^webhook_queue_oldest_age_seconds 0$/m);
    } finally {
      await measured.close();
    }
  });

  it('sends webhook.test to an endpoint whatever its events', async () => {
    const hooks = await receiver();
    const { id, secret } = await register(`${hooks.url}/hooks`, ['passkey.added']);
    const response = await request(t.app).post(`/admin/webhooks/${id}/test`).set(bearer(admin.accessToken)).expect(202);
    const [delivery] = await eventually(() => hooks.received.length > 0 && hooks.received);
    expect(verify(secret, delivery!)).toMatchObject({ type: 'webhook.test' });
    expect(delivery!.headers['webhook-id']).toBe(response.body.deliveryId);
  });

  describe('the admin API', () => {
    it('answers 403 to a user who is not an administrator, 401 without a token, 404 for unknown ids', async () => {
      const user = await registerUser(t.app);
      await request(t.app).get('/admin/webhooks').set(bearer(user.accessToken)).expect(403);
      await request(t.app)
        .post('/admin/webhooks')
        .send({ url: 'https://example.com/x', events: ['*'] })
        .expect(401);
      for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
        await request(t.app).get(`/admin/webhooks/${id}`).set(bearer(admin.accessToken)).expect(404);
        await request(t.app).patch(`/admin/webhooks/${id}`).set(bearer(admin.accessToken)).send({ enabled: false }).expect(404);
        await request(t.app).delete(`/admin/webhooks/${id}`).set(bearer(admin.accessToken)).expect(404);
        await request(t.app).post(`/admin/webhooks/${id}/secret`).set(bearer(admin.accessToken)).expect(404);
      }
      const refused = await request(t.app)
        .post('/admin/webhooks')
        .set(bearer(admin.accessToken))
        .send({ url: 'https://example.com/x', events: ['user.nope'] });
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('validation_failed');
    });

    it('lists deliveries newest first in cursor pages, filters by status, and drops pending ones with the endpoint', async () => {
      const hooks = await receiver(() => 500);
      const { id } = await register(`${hooks.url}/hooks`, ['user.login_failed']);
      await t.service.lifecycle.stop();
      for (let i = 0; i < 5; i++) await t.service.services.audit.record({ type: 'user.login_failed', userId: null, data: { n: i } });

      const first = await request(t.app).get(`/admin/webhooks/${id}/deliveries`).query({ limit: '3' }).set(bearer(admin.accessToken)).expect(200);
      expect(first.body.deliveries).toHaveLength(3);
      expect(first.body.deliveries[0]).toMatchObject({ status: 'pending', attempts: 0, lastStatusCode: null, nextAttemptAt: expect.any(String) });
      const second = await request(t.app)
        .get(`/admin/webhooks/${id}/deliveries`)
        .query({ limit: '3', cursor: first.body.nextCursor })
        .set(bearer(admin.accessToken))
        .expect(200);
      expect(second.body.deliveries).toHaveLength(2);
      expect(second.body.nextCursor).toBeNull();
      expect(await deliveriesOf(id, '?status=failed')).toEqual([]);
      await request(t.app).get(`/admin/webhooks/${id}/deliveries`).query({ cursor: 'forged' }).set(bearer(admin.accessToken)).expect(400);

      await request(t.app).delete(`/admin/webhooks/${id}`).set(bearer(admin.accessToken)).expect(204);
      expect(await t.database.query(`SELECT 1 FROM webhook_delivery`)).toEqual([]);
      const types = await t.database.query<{ type: string }>(`SELECT type FROM audit_event WHERE type LIKE 'webhook.%' ORDER BY at`);
      expect(types.map((row) => row.type)).toEqual(['webhook.created', 'webhook.deleted']);
    });
  });
});
