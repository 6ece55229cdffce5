// Where the machine's CPU goes during a login storm: the service's threads (main, hashing, the
// rest), PostgreSQL's processes, this load generator and everything else, from /proc.
//   npm run build && node bench/cpu-split.mjs [--seconds 10] [--case login|register]
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { loginRequest, machineTicks, option, register, registerRequest, registerUsers, resultsDir, withBuiltService } from './service.mjs';

const seconds = Number(option('seconds', 10));
const connections = Number(option('connections', 10));
const which = option('case', 'login');
const TICK = 100; // USER_HZ

const readStat = (file) => {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const after = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { comm: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')), ticks: Number(after[11]) + Number(after[12]) };
  } catch {
    return null;
  }
};

function snapshot(servicePid) {
  const out = { service: {}, postgres: 0, bench: 0, machine: machineTicks() };
  for (const tid of fs.readdirSync(`/proc/${servicePid}/task`)) {
    const stat = readStat(`/proc/${servicePid}/task/${tid}/stat`);
    if (!stat) continue;
    const key = Number(tid) === servicePid ? 'main' : stat.comm;
    out.service[key] = (out.service[key] ?? 0) + stat.ticks;
  }
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    const stat = readStat(`/proc/${pid}/stat`);
    if (stat?.comm.startsWith('postgres')) out.postgres += stat.ticks;
  }
  out.bench = readStat(`/proc/${process.pid}/stat`).ticks;
  return out;
}

async function main() {
  await withBuiltService({ logFile: path.join(resultsDir, 'cpu-split-service.log') }, async ({ url, service }) => {
    const password = 'a benchmark passphrase';
    const users = which === 'login' ? await registerUsers(url, `split.${Date.now()}`, password) : [];
    const me = which === 'me' ? await register(url, `split.me.${Date.now()}@example.com`, password) : undefined;
    const rate = option('rate', undefined);
    const options = me
      ? { url: `${url}/auth/me`, headers: { authorization: `Bearer ${me.accessToken}` }, ...(rate ? { overallRate: Number(rate) } : {}) }
      : which === 'login'
        ? { url, requests: [loginRequest(users)] }
        : { url, requests: [registerRequest('split', password)] };
    await autocannon({ ...options, connections, duration: 2 });
    const before = snapshot(service.pid);
    const run = await autocannon({ ...options, connections, duration: seconds });
    const after = snapshot(service.pid);
    const rps = run['2xx'] / run.duration;
    const wall = after.machine.busy + after.machine.idle - before.machine.busy - before.machine.idle;
    const share = (ticks) => `${((100 * ticks) / wall).toFixed(1)}%`;
    console.log(`${which}: ${rps.toFixed(1)} req/s, ${run.non2xx} non-2xx; shares of all CPUs' time:`);
    const threads = Object.keys(after.service).map((key) => [key, after.service[key] - (before.service[key] ?? 0)]);
    let serviceTotal = 0;
    for (const [key, ticks] of threads.sort((a, b) => b[1] - a[1])) {
      serviceTotal += ticks;
      if (ticks > 0) console.log(`  service ${key.padEnd(16)} ${share(ticks).padStart(6)}  ${((1000 * ticks) / TICK / (rps * seconds)).toFixed(2)} ms/request`);
    }
    const pgTicks = after.postgres - before.postgres;
    const benchTicks = after.bench - before.bench;
    const busy = after.machine.busy - before.machine.busy;
    console.log(`  postgres (all)           ${share(pgTicks).padStart(6)}  ${((1000 * pgTicks) / TICK / (rps * seconds)).toFixed(2)} ms/request`);
    console.log(`  load generator           ${share(benchTicks).padStart(6)}`);
    console.log(`  everything else          ${share(busy - serviceTotal - pgTicks - benchTicks).padStart(6)}`);
    console.log(`  idle                     ${share(after.machine.idle - before.machine.idle).padStart(6)}`);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
