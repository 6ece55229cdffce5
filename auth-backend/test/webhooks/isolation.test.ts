/**
 * Per-endpoint isolation and the event payloads that matter most: a hanging endpoint beside a
 * healthy one (real HTTP receivers), token reuse (written inside the refresh statement), and an
 * erased account (no address).
 */
import request from 'supertest';
import { createTestApp, registerUser, type TestApp } from '../support/test-app';
import { bearer, registerAdmin } from '../support/admin';
import { eventually } from '../support/test-smtp';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const FAST_WEBHOOKS = {
  WEBHOOK_ALLOW_INSECURE: 'true',
  WEBHOOK_RETRY_SCHEDULE: '200ms',
  WEBHOOK_POLL_INTERVAL: '100ms',
  WEBHOOK_TIMEOUT: '2s',
  WEBHOOK_CONCURRENCY: '8',
  WEBHOOK_CONCURRENCY_PER_ENDPOINT: '2',
};

describe('webhook delivery', () => {
  let t: TestApp;
  let adminToken: string;
  const receivers: WebhookReceiver[] = [];

  beforeEach(async () => {
    t = await createTestApp(FAST_WEBHOOKS);
    adminToken = (await registerAdmin(t)).accessToken;
  });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((receiver) => receiver.stop()));
    await t.close();
  });

  async function endpoint(events: string[], respond?: WebhookReceiver['respond']): Promise<WebhookReceiver> {
    const receiver = await startWebhookReceiver(respond);
    receivers.push(receiver);
    await request(t.app)
      .post('/admin/webhooks')
      .set(bearer(adminToken))
      .send({ url: `${receiver.url}/hooks`, events })
      .expect(201);
    return receiver;
  }

  it('keeps a healthy endpoint fast while another hangs past its timeout (p99 under 1 s)', async () => {
    const hanging = await endpoint(['*'], () => 'hang');
    const healthy = await endpoint(['*']);
    const { audit } = t.service.services;

    const sentAt = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const event = await audit.record({ type: 'user.login_failed', userId: null, data: { reason: 'unknown-email', n: i } });
      sentAt.set(event.id, Date.now());
      await new Promise((resolve) => setTimeout(resolve, 25));
    }

    await eventually(() => healthy.received.length >= 40, 20_000);
    const latencies = healthy.received.map((received) => received.at - sentAt.get(String(received.json.data.event.id))!).sort((a, b) => a - b);
    const p99 = latencies[Math.ceil(latencies.length * 0.99) - 1]!;
    expect(p99).toBeLessThan(1000);
    // The hanging endpoint holds its own two slots, no more.
    expect(hanging.received.length).toBeLessThanOrEqual(2 * Math.ceil((Date.now() - Math.min(...sentAt.values())) / 2000) + 2);
  });

  it('keeps a sign-in one statement in the composed service: every reaction to user.login is SQL', () => {
    const { audit } = t.service.services;
    expect(audit.writes({ type: 'user.login', userId: null })).toBeDefined();
    // The OpenID Provider's erasure hook is code, for user.deleted only.
    expect(audit.writes({ type: 'user.deleted', userId: null })).toBeUndefined();
  });

  it('delivers token.reuse_detected, written by the refresh statement itself', async () => {
    const hooks = await endpoint(['token.reuse_detected']);
    const user = await registerUser(t.app);
    await request(t.app).post('/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200);

    await request(t.app).post('/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);

    const [received] = await eventually(() => hooks.received.length > 0 && hooks.received);
    expect(received!.json).toMatchObject({
      type: 'token.reuse_detected',
      data: { event: { userId: user.user.id }, user: { id: user.user.id, email: user.email } },
    });
  });

  it('sends user.deleted with no user and no address, and erasure clears the address from earlier bodies', async () => {
    const hooks = await endpoint(['user.deleted']);
    const everything = await endpoint(['*']);
    const user = await registerUser(t.app);
    await eventually(() => everything.received.some((received) => received.body.includes(user.email)));

    await request(t.app).delete(`/admin/users/${user.user.id}`).set(bearer(adminToken)).expect(204);

    const [received] = await eventually(() => hooks.received.length > 0 && hooks.received);
    expect(received!.json.data.user).toBeNull();
    expect(received!.body).not.toContain(user.email);
    const bodies = await t.database.query<{ body: string }>(`SELECT payload::text AS body FROM webhook_delivery`);
    expect(bodies.length).toBeGreaterThanOrEqual(3);
    expect(bodies.filter((row) => row.body.includes(user.email))).toEqual([]);
  });
});
