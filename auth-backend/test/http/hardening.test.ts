import request from 'supertest';
import { createTestApp, registerUser, uniqueEmail, STRONG_PASSWORD, type TestApp } from '../support/test-app';

describe('HTTP hardening', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const expectProblem = (response: request.Response, status: number) => {
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type: 'about:blank', status, title: expect.any(String), detail: expect.any(String) });
    expect(JSON.stringify(response.body)).not.toMatch(/at \w+ \(|node_modules|SELECT |INSERT |prisma/i);
  };

  it('sets the security headers and never X-Powered-By', async () => {
    const response = await request(t.app).get('/health').expect(200, { status: 'ok' });
    expect(response.headers['x-powered-by']).toBeUndefined();
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    const maxAge = Number(/max-age=(\d+)/.exec(response.headers['strict-transport-security'] ?? '')?.[1]);
    expect(maxAge).toBeGreaterThanOrEqual(31_536_000);
  });

  it('answers 413 with a problem body for a body over 16 KiB, and creates nothing', async () => {
    const email = uniqueEmail('big');
    const response = await request(t.app)
      .post('/auth/register')
      .send({ email, password: STRONG_PASSWORD, name: 'x'.repeat(17 * 1024) });
    expectProblem(response, 413);
    expect(await t.database.query('SELECT 1 FROM "user" WHERE email = $1', [email])).toEqual([]);
  });

  it('answers 400 with a problem body for malformed JSON', async () => {
    const response = await request(t.app).post('/auth/login').set('Content-Type', 'application/json').send('{"email": "a@example.com", "password": ');
    expectProblem(response, 400);
    expect(response.body.title).toBe('Malformed JSON');
  });

  it('answers 415 for a body that is not JSON', async () => {
    expectProblem(await request(t.app).post('/auth/login').set('Content-Type', 'text/plain').send('email=a@example.com'), 415);
  });

  it('answers 404 with a problem body for an unknown route', async () => {
    expectProblem(await request(t.app).get('/admin'), 404);
    expectProblem(await request(t.app).post('/auth/unknown').send({}), 404);
  });

  it.each(['TRACE', 'PUT', 'DELETE', 'PATCH'])('refuses %s with 405 and an Allow header', async (method) => {
    // /auth/password routes POST only (v3 routes DELETE /auth/me: account deletion).
    const response = await request(t.app)[method.toLowerCase() as 'put'](method === 'TRACE' ? '/health' : '/auth/password');
    if (method !== 'TRACE') expectProblem(response, 405);
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD, POST, OPTIONS');
  });

  it('echoes a well-formed X-Request-Id, replaces a malformed one, and logs it on the request lines', async () => {
    const kept = await request(t.app).get('/health').set('X-Request-Id', 'abc-123_x.y:z').expect(200);
    expect(kept.headers['x-request-id']).toBe('abc-123_x.y:z');
    const replaced = await request(t.app).get('/health').set('X-Request-Id', 'bad id with spaces').expect(200);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const tooLong = await request(t.app).get('/health').set('X-Request-Id', 'a'.repeat(129)).expect(200);
    expect(tooLong.headers['x-request-id']).not.toBe('a'.repeat(129));
    const problem = await request(t.app).get('/nowhere');
    expect(problem.headers['x-request-id']).toBeDefined();
    expect(t.logs().some((line) => (line.req as { id?: string } | undefined)?.id === 'abc-123_x.y:z')).toBe(true);
  });

  it('sends no CORS headers when no origin is configured', async () => {
    const response = await request(t.app).get('/health').set('Origin', 'https://evil.example').expect(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('never shows a password hash in any response or log line', async () => {
    const { accessToken, email, refreshToken } = await registerUser(t.app);
    const responses = [
      await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }),
      await request(t.app).post('/auth/refresh').send({ refreshToken }),
      await request(t.app).get('/auth/me').set('Authorization', `Bearer ${accessToken}`),
      await request(t.app).post('/auth/register').send({ email, password: STRONG_PASSWORD }),
    ];
    for (const response of responses) expect(response.text).not.toMatch(/\$2[aby]\$\d\d\$/);
    expect(t.logText()).not.toMatch(/\$2[aby]\$\d\d\$/);
    expect(t.logText()).not.toContain(refreshToken);
    expect(t.logText()).not.toContain(accessToken);
  });
});

describe('HTTP hardening with CORS_ORIGINS', () => {
  it('allows only the configured origins', async () => {
    const t = await createTestApp({ CORS_ORIGINS: 'https://app.example.com' });
    try {
      const allowed = await request(t.app).get('/health').set('Origin', 'https://app.example.com').expect(200);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
      const denied = await request(t.app).get('/health').set('Origin', 'https://evil.example').expect(200);
      expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});

describe('GET /ready', () => {
  it('answers 200 when the database answers and nothing is pending, 503 with a problem body otherwise', async () => {
    const t = await createTestApp();
    try {
      await request(t.app).get('/ready').expect(200, { status: 'ready' });
      // Forget the newest migration only: the count stays 1 however many migrations there are.
      await t.database.query(`DELETE FROM _prisma_migrations WHERE migration_name = (SELECT max(migration_name) FROM _prisma_migrations)`);
      const pending = await request(t.app).get('/ready').expect(503);
      expect(pending.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(pending.body.detail).toMatch(/^1 migration\(s\) pending/);
    } finally {
      await t.close();
    }
  });
});
