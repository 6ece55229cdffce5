/**
 * A soak at moderate load against the built service (a real process): no 5xx, no errors, and
 * resident memory after the soak within 20% of what it was after the warm-up.
 * SOAK_SECONDS shortens or lengthens it (default 120).
 */
import fs from 'node:fs';
import autocannon from 'autocannon';
import request from 'supertest';
import { startBuiltService, type RunningService } from '../support/running-service';
import { STRONG_PASSWORD } from '../support/test-app';

const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 120);
const WARMUP_SECONDS = 20;
jest.setTimeout((SOAK_SECONDS + WARMUP_SECONDS + 60) * 1000);

const rssBytes = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

describe(`a ${SOAK_SECONDS} s soak at moderate load`, () => {
  let service: RunningService;

  beforeAll(async () => {
    service = await startBuiltService();
  });
  afterAll(() => service?.stop());

  /** Reads, authenticated reads and a trickle of logins (bcrypt) at once. */
  async function load(url: string, seconds: number, accessToken: string, email: string) {
    const reads = autocannon({
      url,
      connections: 8,
      duration: seconds,
      overallRate: 400,
      requests: [
        { method: 'GET', path: '/auth/me', headers: { authorization: `Bearer ${accessToken}` } },
        { method: 'GET', path: '/health' },
        { method: 'GET', path: '/ready' },
      ],
    });
    const logins = autocannon({
      url,
      connections: 1,
      duration: seconds,
      overallRate: 4,
      requests: [
        { method: 'POST', path: '/auth/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: STRONG_PASSWORD }) },
      ],
    });
    return Promise.all([reads, logins]);
  }

  it('serves with zero 5xx and errors, and RSS grows less than 20% after warm-up', async () => {
    const { url } = service;
    const email = `soak.${Date.now()}@example.com`;
    const { body } = await request(url).post('/auth/register').send({ email, password: STRONG_PASSWORD }).expect(201);

    await load(url, WARMUP_SECONDS, body.accessToken, email);
    const warm = rssBytes(service.process.child.pid!);
    const results = await load(url, SOAK_SECONDS, body.accessToken, email);
    const soaked = rssBytes(service.process.child.pid!);

    for (const result of results) {
      expect({ errors: result.errors, timeouts: result.timeouts, '5xx': result['5xx'], non2xx: result.non2xx }).toEqual({
        errors: 0,
        timeouts: 0,
        '5xx': 0,
        non2xx: 0,
      });
    }
    expect(results[0].requests.total).toBeGreaterThan(SOAK_SECONDS * 100);
    expect(results[1].requests.total).toBeGreaterThan(SOAK_SECONDS);
    console.log(
      `soak: ${results[0].requests.total + results[1].requests.total} requests, RSS ${(warm / 2 ** 20).toFixed(1)} MiB after warm-up, ${(soaked / 2 ** 20).toFixed(1)} MiB after the soak`,
    );
    expect(soaked).toBeLessThan(warm * 1.2);
  });
});
