// /health while login is saturated, probe by probe: when a probe is slow, was the service's
// event loop busy (the service's own responseTime in its log line is small but the client waited)
// or was the request itself slow? By hand: npm run build && node bench/health-storm.mjs [--seconds 10]
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import autocannon from 'autocannon';
import { loginRequest, option, registerUsers, resultsDir, sleep, withBuiltService } from './service.mjs';

const seconds = Number(option('seconds', 10));
const logFile = path.join(resultsDir, 'health-storm-service.log');

async function main() {
  fs.rmSync(logFile, { force: true });
  await withBuiltService({ logFile }, async ({ url }) => {
    const users = await registerUsers(url, `storm.${Date.now()}`, 'a benchmark passphrase');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    // The probe's connection is open before the storm begins, as a health checker's would be.
    await new Promise((resolve, reject) => http.get(`${url}/health`, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject));
    const storm = autocannon({ url, requests: [loginRequest(users)], connections: 10, duration: seconds + 2 });
    await sleep(Number(process.env.STORM_LEAD_MS ?? 1000));
    const probes = [];
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) {
      const started = performance.now();
      const id = `probe-${probes.length}`;
      const status = await new Promise((resolve, reject) =>
        http
          .get(`${url}/health`, { agent, headers: { 'x-request-id': id } }, (res) => res.resume().on('end', () => resolve(res.statusCode)))
          .on('error', reject),
      );
      probes.push({ id, at: started, ms: performance.now() - started, status });
      await sleep(Math.max(0, 20 - (performance.now() - started)));
    }
    agent.destroy();
    await storm;
    const served = new Map();
    for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
      if (!line.includes('"probe-')) continue;
      const entry = JSON.parse(line);
      if (entry.responseTime !== undefined) served.set(entry.reqId, entry.responseTime);
    }
    const sorted = [...probes].sort((a, b) => a.ms - b.ms);
    const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].ms.toFixed(1);
    console.log(
      `${probes.length} probes, ${probes.filter((p) => p.status === 200).length} 200: p50 ${pct(50)} ms, p90 ${pct(90)}, p99 ${pct(99)}, max ${sorted.at(-1).ms.toFixed(1)}`,
    );
    console.log('slowest probes (client ms / service responseTime ms, at s):');
    for (const probe of sorted.slice(-12).reverse())
      console.log(`  ${probe.ms.toFixed(1).padStart(6)} / ${String(served.get(probe.id)).padStart(3)}  at ${((probe.at - probes[0].at) / 1000).toFixed(2)}`);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
