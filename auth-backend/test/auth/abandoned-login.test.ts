import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConcurrencyLimit } from '../../src/passwords/concurrency-limit';
import { CancelledError } from '../../src/errors';
import { createTestApp, registerUser, STRONG_PASSWORD, type TestApp } from '../support/test-app';

describe('ConcurrencyLimit', () => {
  it('never starts a queued task whose signal was aborted while it waited', async () => {
    const limit = new ConcurrencyLimit(1);
    let release!: () => void;
    const first = limit.run(() => new Promise<string>((resolve) => (release = () => resolve('first'))));
    const controller = new AbortController();
    let secondStarted = false;
    const second = limit.run(async () => {
      secondStarted = true;
      return 'second';
    }, controller.signal);
    const third = limit.run(async () => 'third');
    controller.abort();
    release();
    await expect(first).resolves.toBe('first');
    await expect(second).rejects.toBeInstanceOf(CancelledError);
    await expect(third).resolves.toBe('third');
    expect(secondStarted).toBe(false);
  });
});

describe('POST /auth/login abandoned by its client', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ PASSWORD_HASH_CONCURRENCY: '1' });
  });
  afterAll(() => t.close());

  it('spends no password hashing on queued requests whose client disconnected', async () => {
    const { email } = await registerUser(t.app);
    const server = t.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const body = JSON.stringify({ email, password: STRONG_PASSWORD });
      const send = () =>
        http.request({
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/auth/login',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        });
      // Six logins queue behind one bcrypt slot; five clients hang up at once.
      const abandoned = Array.from({ length: 5 }, () => {
        const req = send();
        req.on('error', () => undefined);
        req.end(body);
        return req;
      });
      await new Promise((resolve) => setTimeout(resolve, 30));
      for (const req of abandoned) req.destroy();
      const kept = await new Promise<number>((resolve, reject) => {
        const req = send();
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(kept).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const skipped = t.logs().filter((line) => line.msg === 'request abandoned by the client');
      // The first may already be hashing when its client leaves; the queued ones never start.
      expect(skipped.length).toBeGreaterThanOrEqual(4);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
