/**
 * A real Prometheus server (Debian's `prometheus` package: /usr/bin/prometheus; .ci/run installs
 * it) scrapes the metrics port, and its query API returns the login counter.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createTestApp, registerUser, STRONG_PASSWORD, type TestApp } from '../support/test-app';

const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

async function until<T>(what: string, attempt: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('a real Prometheus server', () => {
  let t: TestApp;
  let prometheus: ChildProcess | undefined;
  let dir: string;
  let output = '';

  beforeAll(async () => {
    if (!fs.existsSync(PROMETHEUS)) throw new Error(`${PROMETHEUS} is missing: apt-get install -y prometheus (.ci/run does)`);
    t = await createTestApp({ METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prometheus-test-'));
    const target = `127.0.0.1:${t.service.services.metricsServer!.port}`;
    fs.writeFileSync(
      path.join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: auth-backend\n    static_configs:\n      - targets: ['${target}']\n`,
    );
  });

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await t?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes the metrics port, and its query API returns auth_login_attempts_total', async () => {
    const user = await registerUser(t.app);
    await request(t.app).post('/auth/login').send({ email: user.email, password: STRONG_PASSWORD }).expect(200);
    await request(t.app).post('/auth/login').send({ email: user.email, password: 'not the password' }).expect(401);

    const port = await freePort();
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout!.on('data', (chunk) => (output += chunk));
    prometheus.stderr!.on('data', (chunk) => (output += chunk));

    const api = `http://127.0.0.1:${port}/api/v1`;
    type Sample = { metric: Record<string, string>; value: [number, string] };
    const samples = await until(`Prometheus to scrape the login counter (output so far: ${output})`, async () => {
      const response = await fetch(`${api}/query?query=${encodeURIComponent('auth_login_attempts_total')}`);
      const body = (await response.json()) as { status: string; data: { result: Sample[] } };
      return body.status === 'success' && body.data.result.length > 0 ? body.data.result : undefined;
    });
    const byOutcome = Object.fromEntries(samples.map((sample) => [sample.metric.outcome, Number(sample.value[1])]));
    expect(byOutcome).toMatchObject({ success: 1, failure: 1 });
    expect(samples[0]!.metric).toMatchObject({ job: 'auth-backend', __name__: 'auth_login_attempts_total' });

    const targets = (await (await fetch(`${api}/targets`)).json()) as { data: { activeTargets: Array<{ health: string }> } };
    expect(targets.data.activeTargets.map((target) => target.health)).toEqual(['up']);
  }, 90_000);
});
