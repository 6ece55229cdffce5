/**
 * A table of malformed requests sent to every operation of the service's own OpenAPI document
 * (so endpoints added later are covered without editing this file): every path, every method,
 * every body field, every header the service reads. None may answer 5xx or go unanswered, none
 * may change data, and none may log an error.
 */
import request from 'supertest';
import { dataFingerprint, startBuiltService, type RunningService } from '../support/running-service';
import { rawPost, rawRequest, type RawResponse } from '../support/raw-http';
import { STRONG_PASSWORD, uniqueEmail } from '../support/test-app';

jest.setTimeout(600_000);

interface Operation {
  method: string;
  path: string;
  bearer: boolean;
  fields: string[];
  hasBody: boolean;
}

interface Case {
  label: string;
  raw: Buffer;
}

/** A marker in every secret this test sends: it must never reach a log line. */
const SECRET = 'S3cretMarker';
const UNKNOWN_EMAIL = `nobody.${process.pid}@example.com`;

/** Plausible but harmless values: with them an operation reaches deep code, yet changes nothing. */
const HARMLESS: Record<string, unknown> = {
  email: UNKNOWN_EMAIL,
  newEmail: UNKNOWN_EMAIL,
  password: `short${SECRET}`.slice(0, 7),
  currentPassword: `not the current one ${SECRET}`,
  newPassword: 'short',
  refreshToken: `${SECRET}${'r'.repeat(32)}`,
  token: `${SECRET}${'t'.repeat(32)}`,
  name: 'Hostile',
};

const HOSTILE_VALUES: Array<[string, unknown]> = [
  ['a NUL', `a\u0000${SECRET}`],
  ['a lone surrogate', `\ud800${SECRET}`],
  ['a number', 123],
  ['a huge number', 1e308],
  ['true', true],
  ['null', null],
  ['an array', [SECRET]],
  ['an object', { $ne: null }],
  ['an empty string', ''],
  ['a space', ' '],
  ['3000 characters', `${SECRET}${'x'.repeat(3000)}`],
  ['right-to-left override', `\u202e${SECRET}`],
  ['emoji', `😀🔥${SECRET}`],
  ['SQL', `' OR '1'='1' --${SECRET}`],
  ['markup', `<script>${SECRET}</script>`],
  ['a prototype key', '__proto__'],
];

const CORRUPT = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef]);

function operationsOf(document: {
  paths: Record<string, Record<string, { security?: unknown[]; requestBody?: { content: Record<string, { schema: { $ref?: string } }> } }>>;
  components?: { schemas?: Record<string, { properties?: Record<string, unknown> }> };
}): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const schema = operation.requestBody?.content['application/json']?.schema;
      const resolved = schema?.$ref ? document.components?.schemas?.[schema.$ref.split('/').pop()!] : (schema as { properties?: Record<string, unknown> });
      operations.push({
        method: method.toUpperCase(),
        path,
        bearer: (operation.security ?? []).length > 0,
        fields: Object.keys(resolved?.properties ?? {}),
        hasBody: operation.requestBody !== undefined,
      });
    }
  }
  return operations;
}

const withParams = (path: string, value: string) => path.replace(/\{\w+\}/g, value);

function casesFor(operation: Operation, account: { accessToken: string; email: string }): Case[] {
  const { accessToken } = account;
  const { method, fields } = operation;
  // A valid token only where it cannot change anything by itself: a body that is malformed, or a read.
  const auth: Record<string, string> = operation.bearer && (operation.hasBody || method === 'GET') ? { Authorization: `Bearer ${accessToken}` } : {};
  const path = withParams(operation.path, '00000000-0000-4000-8000-000000000000');
  const json = { 'Content-Type': 'application/json', ...auth };
  const harmless = Object.fromEntries(fields.map((field) => [field, HARMLESS[field] ?? 'x']));
  // Where a password comes with the address, an existing one: any password, however odd, then
  // reaches the hashing and still changes nothing (409 on register, 401 on login).
  if (fields.includes('email') && fields.includes('password')) harmless.email = account.email;
  const send = (label: string, headers: Record<string, string>, body: Buffer | string = '', target = path, verb = method): Case => ({
    label: `${verb} ${target.slice(0, 80)}: ${label}`,
    raw: rawPost(verb, target, headers, body),
  });
  const cases: Case[] = [];

  // The URL: path parameters, percent-encoding, query strings.
  const paramValues = ['%00', '%ED%A0%80', '%', '%zz', 'x'.repeat(3000), "'%3B%20DROP%20TABLE%20%22user%22%3B--", '..%2f..%2fpackage.json', 'null', '-1'];
  if (operation.path.includes('{'))
    for (const value of paramValues) cases.push(send(`path parameter ${value.slice(0, 20)}`, json, '{}', withParams(operation.path, value)));
  for (const suffix of [
    '%00',
    '/%ED%A0%80',
    '%',
    '/..',
    '//',
    '/.%2e/',
    `?password=${SECRET}%00&a[b][c]=1&__proto__[x]=1&x=%`,
    '?a=%ED%A0%80',
    `/${'y'.repeat(6000)}`,
  ])
    cases.push(send(`URL suffix ${suffix.slice(0, 20)}`, json, '{}', `${path}${suffix}`));

  // Methods the service does not answer, and the ones it answers for every path.
  for (const verb of ['HEAD', 'OPTIONS', 'PUT', 'PATCH', 'DELETE', 'TRACE', 'PROPFIND']) cases.push(send('method', json, '{}', path, verb));

  // Every header the service reads.
  const body = JSON.stringify(harmless);
  const headerVariants: Array<[string, Record<string, string>]> = [
    ['no Authorization', { 'Content-Type': 'application/json' }],
    ['Authorization: Bearer', { ...json, Authorization: 'Bearer' }],
    ['Authorization: Bearer and spaces', { ...json, Authorization: 'Bearer    ' }],
    ['Authorization: garbage token', { ...json, Authorization: `Bearer ${SECRET}` }],
    ['Authorization: 8 KB token', { ...json, Authorization: `Bearer ${SECRET}${'a'.repeat(8000)}` }],
    ['Authorization: Basic', { ...json, Authorization: `Basic ${Buffer.from(`u:${SECRET}`).toString('base64')}` }],
    ['Authorization: three dots', { ...json, Authorization: 'Bearer a.b.c' }],
    ['Authorization: tampered token', { ...json, Authorization: `Bearer ${accessToken}x` }],
    ['Authorization: alg none', { ...json, Authorization: `Bearer ${unsigned(accessToken)}` }],
    ['Authorization: latin-1 bytes', { ...json, Authorization: `Bearer \xff\xfe${SECRET}` }],
    ['Content-Type: utf-16', { ...auth, 'Content-Type': 'application/json; charset=utf-16' }],
    ['Content-Type: latin1', { ...auth, 'Content-Type': 'application/json; charset=latin1' }],
    ['Content-Type: bogus charset', { ...auth, 'Content-Type': 'application/json; charset=x-bogus' }],
    ['Content-Type: unterminated parameter', { ...auth, 'Content-Type': 'application/json; charset="' }],
    ['Content-Type: ;;;', { ...auth, 'Content-Type': 'application/json;;;' }],
    ['Content-Type: text/plain', { ...auth, 'Content-Type': 'text/plain' }],
    ['Content-Type: form', { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' }],
    ['Content-Type: multipart', { ...auth, 'Content-Type': 'multipart/form-data; boundary=x' }],
    ['Content-Type: +json', { ...auth, 'Content-Type': 'application/merge-patch+json' }],
    ['Content-Type: */*', { ...auth, 'Content-Type': '*/*' }],
    ['Content-Type: empty', { ...auth, 'Content-Type': '' }],
    ['Content-Encoding: unknown', { ...json, 'Content-Encoding': 'x-unknown' }],
    ['Content-Encoding: gzip, gzip', { ...json, 'Content-Encoding': 'gzip, gzip' }],
    ['X-Request-Id: 4 KB', { ...json, 'X-Request-Id': 'r'.repeat(4096) }],
    ['X-Request-Id: latin-1', { ...json, 'X-Request-Id': '\xe9\xff' }],
    ['X-Forwarded-For: 300 characters', { ...json, 'X-Forwarded-For': 'f'.repeat(300) }],
    ['X-Forwarded-For: not addresses', { ...json, 'X-Forwarded-For': 'not-an-ip, , ,::ffff:999.1.1.1' }],
    ['X-Forwarded-For: latin-1', { ...json, 'X-Forwarded-For': '\xff\xfe' }],
    ['Origin: unknown', { ...json, Origin: 'https://evil.example' }],
    ['Origin: null', { ...json, Origin: 'null' }],
    ['Origin: garbage', { ...json, Origin: `\xff${'o'.repeat(2000)}` }],
    ['User-Agent: 8 KB', { ...json, 'User-Agent': `\xff${'u'.repeat(8000)}` }],
    ['Expect: nonsense', { ...json, Expect: 'the-unexpected' }],
    ['Accept: nonsense', { ...json, Accept: 'application/nothing;q=x' }],
    ['Cookie: 8 KB', { ...json, Cookie: `session=${'c'.repeat(8000)}` }],
  ];
  for (const [label, headers] of headerVariants) cases.push(send(label, headers, body));
  for (const encoding of ['gzip', 'deflate', 'br']) cases.push(send(`corrupt ${encoding} body`, { ...json, 'Content-Encoding': encoding }, CORRUPT));

  // Framing: the HTTP parser's own refusals must not reach the app as anything but a 4xx.
  const start = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n`;
  cases.push({ label: `${method} ${path}: bad chunk size`, raw: Buffer.from(`${start}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`) });
  cases.push({
    label: `${method} ${path}: Content-Length and chunked`,
    raw: Buffer.from(`${start}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`),
  });
  cases.push({ label: `${method} ${path}: two Content-Lengths`, raw: Buffer.from(`${start}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`) });
  cases.push({ label: `${method} ${path}: negative Content-Length`, raw: Buffer.from(`${start}Content-Length: -1\r\n\r\n{}`) });
  cases.push({ label: `${method} ${path}: NUL in a header`, raw: Buffer.from(`${start}X-Request-Id: a\u0000b\r\nContent-Length: 2\r\n\r\n{}`) });
  cases.push({ label: `${method} ${path}: no Host`, raw: Buffer.from(`${method} ${path} HTTP/1.1\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}`) });
  cases.push({ label: `${method} ${path}: HTTP/0.9`, raw: Buffer.from(`${method} ${path}\r\n\r\n`) });
  cases.push({ label: `${method} ${path}: body shorter than Content-Length`, raw: Buffer.from(`${start}Content-Length: 50\r\n\r\n{"a":`) });

  // Bodies that are not what any schema expects.
  const bodies: Array<[string, Buffer | string]> = [
    ['empty', ''],
    ['null', 'null'],
    ['an array', '[]'],
    ['a string', '"str"'],
    ['a number', '123'],
    ['truncated JSON', '{"a":'],
    ['a trailing comma', '{"a":1,}'],
    ['a __proto__ key', `{"__proto__":{"admin":true},"password":"${SECRET}"}`],
    ['a constructor key', '{"constructor":{"prototype":{"admin":true}}}'],
    ['deeply nested arrays', `${'['.repeat(5000)}${']'.repeat(5000)}`],
    ['deeply nested objects', `${'{"a":'.repeat(2500)}1${'}'.repeat(2500)}`],
    ['a byte-order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)])],
    ['invalid UTF-8', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')])],
    ['UTF-16', Buffer.from(body, 'utf16le')],
    ['a lone surrogate escape in a key', '{"\\ud800":1}'],
    ['duplicate keys', `{"password":"${SECRET}","password":null}`],
    ['17 KB', `{"a":"${'b'.repeat(17 * 1024)}"}`],
  ];
  for (const [label, raw] of bodies) cases.push(send(`body: ${label}`, json, raw));

  // Each field, in turn, hostile; the others harmless.
  for (const field of fields) {
    const without = { ...harmless };
    delete without[field];
    cases.push(send(`${field} missing`, json, JSON.stringify(without)));
    for (const [label, value] of HOSTILE_VALUES) cases.push(send(`${field} is ${label}`, json, JSON.stringify({ ...harmless, [field]: value })));
  }
  return cases;
}

/** The token with its signature dropped and its header claiming alg "none". */
function unsigned(token: string): string {
  const [, payload] = token.split('.');
  return `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
}

async function inParallel<T, R>(items: T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!);
      }
    }),
  );
  return results;
}

describe('hostile requests to every operation of the OpenAPI document', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startBuiltService({ TRUST_PROXY: '1', CORS_ORIGINS: 'https://app.example.com', HTTP_REQUEST_TIMEOUT: '3', HTTP_HEADERS_TIMEOUT: '3' });
  });
  afterAll(() => service?.stop());

  it('answers every one with a status below 500, changes no data and logs no error and no secret', async () => {
    const email = uniqueEmail('table');
    const registered = await request(service.url).post('/auth/register').send({ email, password: STRONG_PASSWORD }).expect(201);
    const document = (await request(service.url).get('/openapi.json').expect(200)).body;
    const operations = operationsOf(document);
    expect(operations.length).toBeGreaterThanOrEqual(9);
    const cases = operations.flatMap((operation) => casesFor(operation, { accessToken: registered.body.accessToken, email }));
    const logLinesBefore = service.process.logs().length;
    const before = await dataFingerprint(service.database);

    const answers = await inParallel(cases, 4, async (testCase) => ({ testCase, response: await rawRequest(service.port, testCase.raw, 60_000) }));

    const failures = answers.filter(({ response }) => response.status === 0 || response.status >= 500);
    expect(failures.map(({ testCase, response }) => `${testCase.label} -> ${response.status} ${response.body.slice(0, 200)}`)).toEqual([]);
    const notProblems = answers.filter(
      ({ response }) => isAppAnswer(response) && response.status >= 400 && !/^application\/problem\+json/.test(response.headers['content-type'] ?? ''),
    );
    expect(notProblems.map(({ testCase, response }) => `${testCase.label} -> ${response.status} ${response.headers['content-type']}`)).toEqual([]);
    expect(await dataFingerprint(service.database)).toEqual(before);
    const lines = service.process.logs().slice(logLinesBefore);
    expect(lines.filter((line) => Number(line.level) >= 50).map((line) => JSON.stringify(line).slice(0, 300))).toEqual([]);
    expect(lines.filter((line) => JSON.stringify(line).includes(SECRET)).map((line) => JSON.stringify(line).slice(0, 300))).toEqual([]);
    // Not one of those 4xx a bare 400 of the HTTP parser where the app could have answered.
    expect(answers.length).toBeGreaterThan(500);
  });
});

/** Answers from the app (not the HTTP parser's bare refusals) carry the request id. */
const isAppAnswer = (response: RawResponse) => response.headers['x-request-id'] !== undefined;
