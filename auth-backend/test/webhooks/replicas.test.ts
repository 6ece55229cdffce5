/**
 * Two replicas on one database (two apps, each with its delivery worker): every delivery goes
 * out once, whichever replica queued it, and a late outcome of an attempt whose lease was taken
 * over changes nothing (fencing by attempt number).
 */
import request from 'supertest';
import { createTestApp, type TestApp } from '../support/test-app';
import { bearer, registerAdmin } from '../support/admin';
import { eventually } from '../support/test-smtp';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const FAST_WEBHOOKS = { WEBHOOK_ALLOW_INSECURE: 'true', WEBHOOK_RETRY_SCHEDULE: '200ms', WEBHOOK_POLL_INTERVAL: '5s' };

describe('webhook delivery with two replicas', () => {
  let first: TestApp;
  let second: TestApp;
  let hooks: WebhookReceiver;
  beforeEach(async () => {
    first = await createTestApp(FAST_WEBHOOKS);
    second = await createTestApp(FAST_WEBHOOKS, { database: first.database });
    hooks = await startWebhookReceiver();
  });
  afterEach(async () => {
    await second.close();
    await first.close();
    await hooks.stop();
  });

  it('delivers 60 events exactly once, woken by NOTIFY (the poll is 5 s), from either replica', async () => {
    const admin = await registerAdmin(first);
    await request(first.app)
      .post('/admin/webhooks')
      .set(bearer(admin.accessToken))
      .send({ url: `${hooks.url}/hooks`, events: ['user.login_failed'] })
      .expect(201);
    const started = Date.now();

    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (i % 2 ? second : first).service.services.audit.record({ type: 'user.login_failed', userId: null, data: { reason: 'unknown-email', n: i } }),
      ),
    );

    await eventually(() => hooks.received.length >= 60, 4000);
    expect(Date.now() - started).toBeLessThan(4000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const ids = hooks.received.map((received) => received.headers['webhook-id']);
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
    const byReplica = [first, second].map((t) => t.logs().filter((line) => line.event === 'webhook.delivery' && line.outcome === 'delivered').length);
    expect(byReplica[0]! + byReplica[1]!).toBe(60);
  });

  it('records nothing for an attempt whose lease ran out and was taken over', async () => {
    await first.service.lifecycle.stop();
    await second.service.lifecycle.stop();
    const admin = await registerAdmin(first);
    await request(first.app)
      .post('/admin/webhooks')
      .set(bearer(admin.accessToken))
      .send({ url: `${hooks.url}/hooks`, events: ['user.login_failed'] })
      .expect(201);
    await first.service.services.audit.record({ type: 'user.login_failed', userId: null });
    const deliveries = first.service.services.tables.webhookDeliveries;
    const room = { total: 1, perKey: 1, inFlight: new Map<string, number>() };

    const [stale] = await deliveries.claim(new Date(), 0, room);
    const [current] = await deliveries.claim(new Date(Date.now() + 1), 60, room);
    expect([stale!.attempt, current!.attempt]).toEqual([1, 2]);

    expect(await deliveries.markDelivered([{ delivery: stale!, statusCode: 200, at: new Date() }])).toEqual(new Set());
    expect(await deliveries.markRetry(stale!, new Date(), new Date(), 500, 'late')).toBe(false);
    expect(await deliveries.markDelivered([{ delivery: current!, statusCode: 204, at: new Date() }])).toEqual(new Set([current!.id]));
  });
});
