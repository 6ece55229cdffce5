// `GET /auth/me` with and without the request-duration metric (run by hand:
// `npm run build && DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres node bench/me-with-metrics.mjs`).
// Two built services on one database, METRICS_PORT= (off) and METRICS_PORT=0 (on), measured
// alternately in the same run (autocannon -c 10, 5 x 5 s after 2 s warm-up each), median req/s.
import path from 'node:path';
import autocannon from 'autocannon';
import { database, median, register, resultsDir, startService, stop, untilReady } from './service.mjs';

const db = await database();
const services = {
  off: { port: 3811, env: { METRICS_PORT: '' } },
  on: { port: 3812, env: { METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' } },
};
const children = [];
try {
  for (const [name, service] of Object.entries(services)) {
    const child = startService({ databaseUrl: db.url, port: service.port, logFile: path.join(resultsDir, `me-metrics-${name}.log`), env: service.env });
    children.push(child);
    await untilReady(`http://127.0.0.1:${service.port}`, child);
    const { accessToken } = await register(`http://127.0.0.1:${service.port}`, `bench.${name}.${process.pid}@example.com`, 'a perfectly good passphrase');
    service.options = { url: `http://127.0.0.1:${service.port}/auth/me`, headers: { authorization: `Bearer ${accessToken}` }, connections: 10 };
    await autocannon({ ...service.options, duration: 2 });
    service.results = [];
  }
  for (let round = 0; round < 5; round++)
    for (const service of Object.values(services)) service.results.push((await autocannon({ ...service.options, duration: 5 })).requests.average);
  const off = median(services.off.results);
  const on = median(services.on.results);
  console.log(`| metrics | GET /auth/me req/s (median of 5 x 5 s, -c 10) | runs |`);
  console.log(`| --- | --- | --- |`);
  console.log(`| off (METRICS_PORT=) | ${off.toFixed(0)} | ${services.off.results.map((r) => r.toFixed(0)).join(', ')} |`);
  console.log(`| on | ${on.toFixed(0)} (${(((on - off) / off) * 100).toFixed(1)}%) | ${services.on.results.map((r) => r.toFixed(0)).join(', ')} |`);
} finally {
  for (const child of children) await stop(child);
  await db.drop();
}
