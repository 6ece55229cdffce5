// A/B of one endpoint between two builds in one sitting (run by hand):
//   git worktree add /tmp/before <commit> && (cd /tmp/before/auth-backend && npm ci && npm run build)
//   npm run build && node bench/ab.mjs --before /tmp/before/auth-backend/dist [--path /auth/me] [--rounds 10]
// Both builds serve the same database side by side, with bare Express beside them; each round runs
// bare, before and after for 2 s each (autocannon -c 10), and the medians are printed as ratios to
// bare Express, so the host's swings hit all three alike; each service's CPU time per request
// (from /proc, user + system) is printed too, which a busy host disturbs far less than req/s.
// Logs go to bench/results/, as in run.mjs.
import path from 'node:path';
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { database, freePort, here, median, option, processCpuMicros, register, resultsDir, startService, stop, untilReady } from './service.mjs';

const before = option('before');
if (!before) throw new Error('usage: node bench/ab.mjs --before <dist folder of the other build> [--path /auth/me] [--rounds 10]');
const route = option('path') ?? '/auth/me';
const rounds = Number(option('rounds') ?? 10);
const rate = async (url, headers) => {
  const run = await autocannon({ url, connections: 10, duration: 2, headers });
  return run['2xx'] / run.duration;
};
/** Requests per second, and the service's CPU microseconds per request. */
const measure = async (service, headers) => {
  const cpuBefore = processCpuMicros(service.child.pid);
  const run = await autocannon({ url: `${service.url}${route}`, connections: 10, duration: 2, headers });
  return { rps: run['2xx'] / run.duration, cpuUs: (processCpuMicros(service.child.pid) - cpuBefore) / run['2xx'] };
};

async function main() {
  const db = await database();
  const bare = spawn(process.execPath, [path.join(here, 'bare-express.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const bareUrl = `http://127.0.0.1:${await new Promise((resolve) => bare.stdout.once('data', (chunk) => resolve(JSON.parse(chunk.toString()).port)))}`;
  const services = [];
  try {
    for (const [name, dist] of [
      ['after', path.join(here, '..', 'dist')],
      ['before', path.resolve(before)],
    ]) {
      const port = await freePort();
      const child = startService({ databaseUrl: db.url, port, logFile: path.join(resultsDir, `ab-${name}.log`), dist });
      const url = `http://127.0.0.1:${port}`;
      await untilReady(url, child);
      services.push({ name, url, child });
    }
    const { accessToken } = await register(services[0].url, `ab.${process.pid}@example.com`, 'a perfectly good passphrase');
    const headers = { authorization: `Bearer ${accessToken}` };
    const rates = { bare: [], before: [], after: [] };
    const cpu = { before: [], after: [] };
    for (const s of services) await rate(`${s.url}${route}`, headers);
    for (let i = 0; i < rounds; i++) {
      rates.bare.push(await rate(bareUrl, {}));
      for (const s of i % 2 ? services : [...services].reverse()) {
        const { rps, cpuUs } = await measure(s, headers);
        rates[s.name].push(rps);
        cpu[s.name].push(cpuUs);
      }
    }
    const bareMedian = median(rates.bare);
    for (const name of ['before', 'after'])
      console.log(
        `${name}: GET ${route} ${median(rates[name]).toFixed(0)} req/s = ${(median(rates[name]) / bareMedian).toFixed(3)}x bare (${bareMedian.toFixed(0)} req/s), ` +
          `${median(cpu[name]).toFixed(0)} µs CPU per request`,
      );
  } finally {
    for (const s of services) await stop(s.child);
    bare.kill();
    await db.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
