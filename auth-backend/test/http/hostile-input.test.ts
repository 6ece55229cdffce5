/**
 * Findings of the hostile-input probe (issue 13), each sent to the built service (a real process in
 * production mode) and answered with a 4xx problem body that changes nothing.
 */
import zlib from 'node:zlib';
import request from 'supertest';
import { dataFingerprint, startBuiltService, type RunningService } from '../support/running-service';
import { rawPost, rawRequest } from '../support/raw-http';
import { STRONG_PASSWORD, uniqueEmail } from '../support/test-app';

jest.setTimeout(120_000);

let service: RunningService;
let accessToken: string;
/** Every route that reads a JSON body, as the service's own OpenAPI document lists them (so a new route is probed too). */
let bodyRoutes: Array<{ method: string; path: string }>;
beforeAll(async () => {
  service = await startBuiltService();
  bodyRoutes = bodyRoutesOf((await request(service.url).get('/openapi.json').expect(200)).body);
  const registered = await request(service.url)
    .post('/auth/register')
    .send({ email: uniqueEmail('hostile'), password: STRONG_PASSWORD })
    .expect(201);
  accessToken = registered.body.accessToken;
});
afterAll(() => service?.stop());

type OpenApiDocument = { paths: Record<string, Record<string, { requestBody?: unknown }>> };
const ANY_ID = '00000000-0000-4000-8000-000000000000';

function bodyRoutesOf(document: OpenApiDocument): Array<{ method: string; path: string }> {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations)
      .filter(([method, operation]) => method === 'post' || (['put', 'patch', 'delete'].includes(method) && operation.requestBody))
      .map(([method]) => ({ method: method.toUpperCase(), path: path.replace(/\{\w+\}/g, ANY_ID) })),
  );
}

const expectProblem = (response: { status: number; headers: Record<string, string>; text?: string; body?: unknown }, status: number) => {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
};

/** Runs `act` and asserts that no application table changed. */
async function expectNothingChanged(act: () => Promise<void>): Promise<void> {
  const before = await dataFingerprint(service.database);
  await act();
  expect(await dataFingerprint(service.database)).toEqual(before);
}

describe('a corrupt compressed body (finding 1)', () => {
  const corrupt = { deflate: Buffer.from('hello'), gzip: Buffer.from('\x1f\x8bnot really gzip', 'latin1'), br: Buffer.from('not brotli at all') };

  it.each(Object.keys(corrupt))('never fails GET /health or GET /ready (%s): a GET body is not read', async (encoding) => {
    for (const path of ['/health', '/ready']) {
      const body = corrupt[encoding as keyof typeof corrupt];
      const response = await rawRequest(service.port, rawPost('GET', path, { 'Content-Type': 'application/json', 'Content-Encoding': encoding }, body));
      expect(response.status).toBe(200);
      const head = await rawRequest(service.port, rawPost('HEAD', path, { 'Content-Type': 'application/json', 'Content-Encoding': encoding }, body));
      expect(head.status).toBe(200);
    }
  });

  it('probes every route of the OpenAPI document that reads a body, v1 to now', () => {
    const posts = bodyRoutes.filter((route) => route.method === 'POST').map((route) => route.path);
    expect(posts).toEqual(expect.arrayContaining(['/auth/register', '/auth/login', '/auth/refresh', '/auth/logout', '/auth/logout-all', '/auth/password']));
    expect(posts).toEqual(expect.arrayContaining(['/auth/password/forgot', '/auth/password/reset', '/auth/email/verify', '/auth/email/change']));
  });

  it.each(Object.keys(corrupt))('answers 400 on every route that reads a body (%s) and changes nothing', async (encoding) => {
    const body = corrupt[encoding as keyof typeof corrupt];
    await expectNothingChanged(async () => {
      for (const { method, path } of bodyRoutes) {
        const headers = { 'Content-Type': 'application/json', 'Content-Encoding': encoding, Authorization: `Bearer ${accessToken}` };
        const response = await rawRequest(service.port, rawPost(method, path, headers, body));
        expectProblem(response, 400);
        expect(JSON.parse(response.body)).toMatchObject({ status: 400, code: 'bad_request' });
      }
    });
  });

  it('answers 413 for a compressed body that inflates past 16 KiB (a zip bomb)', async () => {
    const bomb = zlib.gzipSync(JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(1024 * 1024) }));
    expect(bomb.length).toBeLessThan(16 * 1024);
    const response = await rawRequest(service.port, rawPost('POST', '/auth/login', { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, bomb));
    expectProblem(response, 413);
  });

  it('still reads a well-formed compressed body', async () => {
    const body = zlib.gzipSync(JSON.stringify({ email: uniqueEmail(), password: 'some wrong password' }));
    const response = await rawRequest(service.port, rawPost('POST', '/auth/login', { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, body));
    expect(response.status).toBe(401);
  });
});

describe('text PostgreSQL cannot store (finding 2)', () => {
  it.each([
    ['a NUL in name', { name: 'Ada\u0000Lovelace' }, 'name'],
    ['a lone high surrogate in name', { name: 'Ada\ud800' }, 'name'],
    ['a lone low surrogate in name', { name: '\udfffAda' }, 'name'],
    ['a NUL in the email', { email: 'ada\u0000@example.com' }, 'email'],
    ['a lone surrogate in the password', { password: 'abcdefgh\ud800xyz' }, 'password'],
  ])('POST /auth/register refuses %s with 400 naming the field, and stores nothing', async (_label, override, field) => {
    await expectNothingChanged(async () => {
      const response = await request(service.url)
        .post('/auth/register')
        .send({ email: uniqueEmail('nul'), password: STRONG_PASSWORD, ...override });
      expectProblem(response, 400);
      expect(response.body.errors).toEqual([{ path: field, message: expect.stringMatching(/NUL character or a lone surrogate/) }]);
    });
  });

  it('refuses a lone surrogate written as a raw JSON escape, in a key too', async () => {
    const body = `{"email":"${uniqueEmail()}","password":"${STRONG_PASSWORD}","name":"x\\ud800"}`;
    const response = await request(service.url).post('/auth/register').set('Content-Type', 'application/json').send(body);
    expectProblem(response, 400);
    expect(response.body.errors[0].path).toBe('name');
    const key = await request(service.url).post('/auth/login').set('Content-Type', 'application/json').send('{"email":"a@example.com","pass\\u0000":"x"}');
    expectProblem(key, 400);
  });

  it('refuses a body that is not UTF-8 (bytes that would otherwise become U+FFFD) and one in another charset', async () => {
    await expectNothingChanged(async () => {
      const latin1 = Buffer.concat([Buffer.from(`{"email":"${uniqueEmail()}","password":"abcdefgh`), Buffer.from([0xff, 0xfe]), Buffer.from('xyz"}')]);
      const notUtf8 = await rawRequest(service.port, rawPost('POST', '/auth/register', { 'Content-Type': 'application/json' }, latin1));
      expectProblem(notUtf8, 400);
      expect(JSON.parse(notUtf8.body).detail).toBe('The request body is not valid UTF-8.');
      const utf16 = Buffer.from(JSON.stringify({ email: uniqueEmail(), password: STRONG_PASSWORD }), 'utf16le');
      const other = await rawRequest(service.port, rawPost('POST', '/auth/register', { 'Content-Type': 'application/json; charset=utf-16le' }, utf16));
      expectProblem(other, 415);
    });
  });
});

describe('smaller findings (finding 8)', () => {
  it.each([
    ['a 65-character local part', `${'a'.repeat(65)}@example.com`],
    ['a 64-character label', `ada@${'b'.repeat(64)}.example.com`],
    ['a label ending in -', 'ada@example-.com'],
    ['a label starting with -', 'ada@-example.com'],
    ['an underscore in the domain', 'ada@exa_mple.com'],
    ['a numeric top-level label', 'ada@example.123'],
  ])('POST /auth/register refuses an email with %s (400), and stores nothing', async (_label, email) => {
    await expectNothingChanged(async () => {
      const response = await request(service.url).post('/auth/register').send({ email, password: STRONG_PASSWORD });
      expectProblem(response, 400);
      expect(response.body.errors.map((error: { path: string }) => error.path)).toContain('email');
    });
  });

  it('still accepts the longest addresses the RFCs allow (64-character local part, 63-character labels)', async () => {
    const email = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.example.com`;
    const response = await request(service.url).post('/auth/register').send({ email, password: STRONG_PASSWORD }).expect(201);
    expect(response.body.user.email).toBe(email);
  });

  it('serves only what the docs page loads from /docs/assets/', async () => {
    await request(service.url).get('/docs/assets/swagger-ui.css').expect(200).expect('Content-Type', /css/);
    await request(service.url)
      .get('/docs/assets/swagger-ui-bundle.js')
      .expect(200)
      .expect('Content-Type', /javascript/);
    for (const path of [
      '/docs/assets/package.json',
      '/docs/assets/index.html',
      '/docs/assets/swagger-ui.js.map',
      '/docs/assets/',
      '/docs/assets/%2e%2e%2fpackage.json',
    ]) {
      const response = await request(service.url).get(path);
      expectProblem(response, 404);
      expect(response.text).not.toContain('"version"');
    }
  });

  it('does not echo a huge raw path in a 404 detail', async () => {
    const response = await request(service.url).get(`/${'x'.repeat(8000)}`);
    expectProblem(response, 404);
    expect(response.body.detail.length).toBeLessThan(200);
    expect(response.body.detail).toMatch(/8001 characters/);
  });

  it('marks 405 answers on /auth/* as not cacheable', async () => {
    const response = await request(service.url).put('/auth/me').send({});
    expectProblem(response, 405);
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it.each(['bearer', 'BEARER', 'BeArEr'])('accepts the %s scheme name (case-insensitive), and refuses other schemes', async (scheme) => {
    await request(service.url).get('/auth/me').set('Authorization', `${scheme} ${accessToken}`).expect(200);
    await request(service.url).get('/auth/me').set('Authorization', `${scheme}  ${accessToken}`).expect(200);
    await request(service.url).get('/auth/me').set('Authorization', `Basic ${accessToken}`).expect(401);
    await request(service.url).get('/auth/me').set('Authorization', `${scheme}${accessToken}`).expect(401);
  });
});
