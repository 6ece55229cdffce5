import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createTestApp, registerUser, STRONG_PASSWORD, type TestApp } from '../support/test-app';
import { bearer, registerAdmin } from '../support/admin';

const scrape = async (t: TestApp) => {
  const response = await fetch(`http://127.0.0.1:${t.service.services.metricsServer!.port}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
};
const seriesOf = (text: string, name: string) => text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));

describe('GET /metrics (METRICS_PORT)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' });
  });
  afterAll(() => t.close());

  it('serves the contract metrics in the Prometheus text format on its own port, never on the public one', async () => {
    const user = await registerUser(t.app);
    await request(t.app).post('/auth/login').send({ email: user.email, password: STRONG_PASSWORD }).expect(200);
    await request(t.app).post('/auth/login').send({ email: user.email, password: 'not the password' }).expect(401);
    const text = await scrape(t);
    expect(text).toContain('auth_login_attempts_total{outcome="success"} 1');
    expect(text).toContain('auth_login_attempts_total{outcome="failure"} 1');
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0\.005",method="POST",route="\/auth\/login",status="200"\} \d+/);
    for (const name of [
      'mail_outbox_depth',
      'mail_outbox_oldest_age_seconds',
      'hashing_queue_depth',
      'db_pool_connections',
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ])
      expect(seriesOf(text, name).length).toBeGreaterThan(0);
    expect(text).toMatch(/db_pool_connections\{state="total"\} \d+/);
    await request(t.app).get('/metrics').expect(404);
  });

  it('labels a request with its route template, never the raw path', async () => {
    const admin = await registerAdmin(t);
    await request(t.app).get(`/admin/users/${admin.user.id}`).set(bearer(admin.accessToken)).expect(200);
    const text = await scrape(t);
    expect(text).toContain('route="/admin/users/{id}",status="200"');
    expect(text).not.toContain(admin.user.id);
  });

  it('keeps the number of series bounded after requests to 1,000 random paths', async () => {
    const count = (text: string) => seriesOf(text, 'http_request_duration_seconds_count').length;
    const before = count(await scrape(t));
    for (let i = 0; i < 1000; i++) {
      const path = `/${randomBytes(6).toString('hex')}/${i}`;
      await request(t.app)[i % 2 ? 'get' : 'post'](i % 3 ? path : `/auth${path}`);
    }
    const text = await scrape(t);
    // At most one new series per (method, status) of an unmatched route.
    expect(count(text) - before).toBeLessThanOrEqual(4);
    expect(text).toContain('route="unmatched",status="404"');
  });
});

describe('METRICS_PORT= (empty)', () => {
  it('turns metrics off: no server, no request timing', async () => {
    const t = await createTestApp({ METRICS_PORT: '' });
    try {
      expect(t.service.services.metrics).toBeUndefined();
      expect(t.service.services.metricsServer).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});

describe('signing_key_age_seconds', () => {
  it('is the age of the key that signs (ES256)', async () => {
    const t = await createTestApp({ METRICS_PORT: '0', METRICS_HOST: '127.0.0.1', JWT_ALGORITHM: 'ES256' });
    try {
      expect((await scrape(t)).match(/^signing_key_age_seconds (\d+(\.\d+)?(e[-+]\d+)?)$/m)).not.toBeNull();
    } finally {
      await t.close();
    }
  });
});
