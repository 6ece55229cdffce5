import request from 'supertest';
import { createTestApp, registerUser, STRONG_PASSWORD, type TestApp } from '../support/test-app';

describe('request logging', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const completionLines = (reqId: string) => t.logs().filter((line) => line.reqId === reqId && (line.req as { id?: string } | undefined)?.id === reqId);

  it('never logs secrets sent in the query string, on any line', async () => {
    const { email } = await registerUser(t.app);
    const secrets = ['Query-Password-7f3a9c', 'query-token-5d1e8b', 'other-secret-2c4f6a'];

    await request(t.app)
      .post(`/auth/login?password=${secrets[0]}&token=${secrets[1]}`)
      .set('X-Request-Id', 'query-secret-login')
      .send({ email, password: STRONG_PASSWORD })
      .expect(200);
    await request(t.app).get(`/health?password=${secrets[2]}`).set('X-Request-Id', 'query-secret-health').expect(200);
    await request(t.app).get(`/no/such/route?token=${secrets[1]}`).set('X-Request-Id', 'query-secret-404').expect(404);
    await request(t.app).post(`/auth/login?password=${secrets[0]}`).set('X-Request-Id', 'query-secret-400').send({ email }).expect(400);

    for (const secret of secrets) expect(t.logText()).not.toContain(secret);
    expect(completionLines('query-secret-login')).toEqual([
      expect.objectContaining({ req: { id: 'query-secret-login', method: 'POST', path: '/auth/login' } }),
    ]);
    expect(completionLines('query-secret-404')).toEqual([expect.objectContaining({ req: { id: 'query-secret-404', method: 'GET', path: '/no/such/route' } })]);
  });

  it('writes one completion line per request, and binds the request id to every line of it', async () => {
    const { email } = await registerUser(t.app);
    await request(t.app).post('/auth/login').set('X-Request-Id', 'one-line-per-request').send({ email, password: 'not the right passphrase' }).expect(401);

    const lines = t.logs().filter((line) => line.reqId === 'one-line-per-request');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: 'auth.login', outcome: 'failure' }),
        expect.objectContaining({ msg: 'request completed', level: 30, res: { statusCode: 401 }, responseTime: expect.any(Number) }),
      ]),
    );
    expect(completionLines('one-line-per-request')).toHaveLength(1);
  });
});
