/**
 * A soak at moderate load against the built service (a real process): no 5xx, no errors, and the
 * memory still held after full garbage collections (test/support/memory-probe.js), inside and
 * outside the JS heap, within 10% of what it was after the warm-up; resident memory, which also moves with V8's heap sizing, within
 * 50%. SOAK_SECONDS shortens or lengthens it (default 120).
 */
import path from 'node:path';
import autocannon from 'autocannon';
import request from 'supertest';
import { startBuiltService, type RunningService } from '../support/running-service';
import { STRONG_PASSWORD } from '../support/test-app';

const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 120);
const WARMUP_SECONDS = 20;
jest.setTimeout((SOAK_SECONDS + WARMUP_SECONDS + 60) * 1000);

const memoryProbe = path.join(__dirname, '../support/memory-probe.js');
/** Bytes: the JS heap and the memory outside it (buffers, WASM) after full collections, and resident memory. */
type Memory = { heapUsed: number; external: number; rss: number };
const MiB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

describe(`a ${SOAK_SECONDS} s soak at moderate load`, () => {
  let service: RunningService;

  beforeAll(async () => {
    service = await startBuiltService({ NODE_OPTIONS: `--expose-gc --require ${memoryProbe}` });
  });

  /** The service's memory after full garbage collections, as its preloaded probe reports it. */
  async function memoryAfterCollection(): Promise<Memory> {
    const probes = () => service.process.logs().filter((line) => line.msg === 'memory probe');
    const before = probes().length;
    service.process.child.kill('SIGUSR2');
    const deadline = Date.now() + 10_000;
    while (probes().length === before) {
      if (Date.now() > deadline) throw new Error('the memory probe did not answer');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return probes().at(-1) as unknown as Memory;
  }
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

  it('serves with zero 5xx and errors, and holds less than 10% more memory than after the warm-up', async () => {
    const { url } = service;
    const email = `soak.${Date.now()}@example.com`;
    const { body } = await request(url).post('/auth/register').send({ email, password: STRONG_PASSWORD }).expect(201);

    await load(url, WARMUP_SECONDS, body.accessToken, email);
    const warm = await memoryAfterCollection();
    const results = await load(url, SOAK_SECONDS, body.accessToken, email);
    const soaked = await memoryAfterCollection();

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
      `soak: ${results[0].requests.total + results[1].requests.total} requests; heap/external/RSS ${[warm, soaked].map((m) => [m.heapUsed, m.external, m.rss].map(MiB).join('/')).join(' after warm-up, ')} after the soak`,
    );
    expect(soaked.heapUsed).toBeLessThan(warm.heapUsed * 1.1);
    expect(soaked.external).toBeLessThan(warm.external * 1.1);
    expect(soaked.rss).toBeLessThan(warm.rss * 1.5);
  });
});
