import request from 'supertest';
import { createTestApp, registerUser, uniqueEmail, STRONG_PASSWORD, type TestApp } from '../support/test-app';

describe('throttling of the endpoints that send mail', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ THROTTLE_MAIL_ADDRESS_MAX: '2', THROTTLE_MAIL_IP_MAX: '100' });
  });
  afterAll(() => t.close());

  it('POST /auth/password/forgot answers 429 with Retry-After past the limit per address, known or not', async () => {
    for (const email of [(await registerUser(t.app)).email, uniqueEmail('ghost')]) {
      await request(t.app).post('/auth/password/forgot').send({ email }).expect(202);
      await request(t.app).post('/auth/password/forgot').send({ email }).expect(202);
      const third = await request(t.app).post('/auth/password/forgot').send({ email }).expect(429);
      expect(third.body.code).toBe('throttled');
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    }
    const queued = await t.database.query<{ n: number }>(`SELECT count(*)::int AS n FROM mail_outbox WHERE kind = 'reset-password'`);
    expect(queued[0]!.n).toBe(2);
  });

  it('POST /auth/email/change counts mail to the new address against the same limit', async () => {
    const { accessToken } = await registerUser(t.app);
    const newEmail = uniqueEmail('target');
    await request(t.app).post('/auth/password/forgot').send({ email: newEmail }).expect(202);
    await request(t.app).post('/auth/password/forgot').send({ email: newEmail }).expect(202);
    await request(t.app)
      .post('/auth/email/change')
      .set('Authorization', `Bearer ${accessToken}`)
      .send({ newEmail, currentPassword: STRONG_PASSWORD })
      .expect(429);
  });

  it('throttles per client IP with RateLimit headers, and a 429 changes nothing', async () => {
    const fresh = await createTestApp({ THROTTLE_MAIL_IP_MAX: '2' });
    try {
      const first = await request(fresh.app).post('/auth/password/forgot').send({ email: uniqueEmail() }).expect(202);
      expect(first.headers['ratelimit-limit']).toBe('2');
      await request(fresh.app).post('/auth/password/forgot').send({ email: uniqueEmail() }).expect(202);
      const blocked = await request(fresh.app).post('/auth/password/forgot').send({ email: uniqueEmail() }).expect(429);
      expect(blocked.headers['retry-after']).toBeDefined();
    } finally {
      await fresh.close();
    }
  });
});
