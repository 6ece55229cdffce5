/**
 * PASSWORD_BREACH_CHECK=block against a local stub of the Pwned Passwords range API (a real HTTP
 * server on loopback): only five hex digits leave, padding never matches, and a down or slow API
 * lets the password through (fail open) with a warning and a counted error.
 */
import http from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createTestApp, registerUser, uniqueEmail, type TestApp } from '../support/test-app';
import { bearer } from '../support/admin';

const BREACHED = 'correct horse battery staple';
const PADDED_ONLY = 'a passphrase only in the padding';
const sha1 = (text: string) => createHash('sha1').update(text, 'utf8').digest('hex').toUpperCase();

interface RangeStub {
  url: string;
  requests: Array<{ path: string; headers: http.IncomingHttpHeaders; body: string }>;
  delayMs: number;
  stop(): Promise<void>;
}

async function startRangeStub(): Promise<RangeStub> {
  const stub: RangeStub = { url: '', requests: [], delayMs: 0, stop: async () => undefined };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      stub.requests.push({ path: req.url ?? '', headers: req.headers, body });
      const prefix = (req.url ?? '').split('/').pop()!;
      // The real answer's shape: suffix:count lines, with padding lines of count 0.
      const lines = [`${'0'.repeat(35)}:3`, `${sha1(PADDED_ONLY).slice(5)}:0`];
      if (sha1(BREACHED).startsWith(prefix)) lines.push(`${sha1(BREACHED).slice(5)}:24230`);
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end(lines.join('\r\n')), stub.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/range/`;
  stub.stop = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return stub;
}

describe('breached passwords (PASSWORD_BREACH_CHECK=block)', () => {
  let stub: RangeStub;
  let t: TestApp;
  beforeEach(async () => {
    stub = await startRangeStub();
  });
  afterEach(async () => {
    await t.close();
    await stub.stop();
  });

  const start = (env: Record<string, string> = {}) =>
    createTestApp({ PASSWORD_BREACH_CHECK: 'block', PASSWORD_BREACH_API: stub.url, METRICS_PORT: '0', METRICS_HOST: '127.0.0.1', ...env });
  const register = (password: string) =>
    request(t.app)
      .post('/auth/register')
      .send({ email: uniqueEmail('breach'), password });
  const breachErrors = async () => {
    const text = await t.service.services.metrics!.registry.metrics();
    return Number(/^password_breach_check_errors_total (\d+)/m.exec(text)?.[1] ?? 'NaN');
  };

  describe('POST /auth/register', () => {
    it('refuses a breached password with 400 password_breached, sending only the first five hex digits of its SHA-1', async () => {
      t = await start();
      const response = await register(BREACHED).expect(400);
      expect(response.body.code).toBe('password_breached');

      expect(stub.requests).toHaveLength(1);
      const [asked] = stub.requests;
      expect(asked!.path).toBe(`/range/${sha1(BREACHED).slice(0, 5)}`);
      expect(asked!.headers['add-padding']).toBe('true');
      expect(asked!.body).toBe('');
      const sent = JSON.stringify(asked);
      expect(sent).not.toContain(sha1(BREACHED).slice(5, 12));
      expect(sent).not.toContain(BREACHED);
    });

    it('lets through a password whose suffix is only a padding line (count 0)', async () => {
      t = await start();
      await register(PADDED_ONLY).expect(201);
    });

    it('fails open when the API is down: the password passes, a warning is logged and the error counted', async () => {
      await stub.stop();
      t = await start();
      await register(BREACHED).expect(201);
      expect(t.logs()).toEqual(expect.arrayContaining([expect.objectContaining({ level: 40, event: 'password.breach-check', outcome: 'error' })]));
      expect(await breachErrors()).toBe(1);
      expect(t.logText()).not.toContain(sha1(BREACHED).slice(0, 5));
    });

    it('fails open when the API is slower than the limit', async () => {
      stub.delayMs = 3000;
      t = await start({ PASSWORD_BREACH_TIMEOUT: '300ms' });
      const started = Date.now();
      await register(BREACHED).expect(201);
      expect(Date.now() - started).toBeLessThan(2500);
      expect(await breachErrors()).toBe(1);
    });

    it('asks nothing when the check is off (the default)', async () => {
      t = await createTestApp({ PASSWORD_BREACH_API: stub.url });
      await register(BREACHED).expect(201);
      expect(stub.requests).toHaveLength(0);
    });
  });

  describe('POST /auth/password', () => {
    it('refuses a breached new password', async () => {
      t = await start();
      const user = await registerUser(t.app);
      const response = await request(t.app)
        .post('/auth/password')
        .set(bearer(user.accessToken))
        .send({ currentPassword: user.password, newPassword: BREACHED })
        .expect(400);
      expect(response.body.code).toBe('password_breached');
    });
  });
});
