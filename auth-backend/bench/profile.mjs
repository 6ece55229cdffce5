// Where the CPU of one endpoint goes: starts the built service under `node --cpu-prof`, drives
// one case with autocannon, stops it (the profile is written at exit) and prints the self time
// by package / module and the hottest functions. By hand, before and after a change:
//   npm run build && node bench/profile.mjs me [--seconds 10]        (cases: me, health)
// The .cpuprofile files land in bench/results/profiles/ (open them in Chrome DevTools).
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { database, freePort, register, resultsDir, root, sleep, startService, stop, untilReady } from './service.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : args[index + 1];
};
const which = args.find((arg, index) => !arg.startsWith('--') && !args[index - 1]?.startsWith('--')) ?? 'me';
const seconds = Number(option('seconds', 10));
const profiles = path.join(resultsDir, 'profiles');

/** Self time of a profile, by group (package, node module, service file) and by function. */
function summarise(profile, top = 15) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  profile.samples.forEach((id, index) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const groups = new Map();
  const functions = new Map();
  let total = 0;
  for (const [id, micros] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    if (functionName === '(idle)') continue;
    total += micros;
    const group = groupOf(url, functionName);
    groups.set(group, (groups.get(group) ?? 0) + micros);
    const fn = `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`;
    functions.set(fn, (functions.get(fn) ?? 0) + micros);
  }
  const rank = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, percent: Math.round((1000 * micros) / total) / 10 }));
  return { busyMs: Math.round(total / 1000), groups: rank(groups), functions: rank(functions) };
}

function groupOf(url, functionName) {
  if (!url) return functionName; // (garbage collector), (program)
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return `node:${url.replace(/^node:(internal\/)?/, '').split('/')[0]}`;
  const dist = /\/dist\/(.+)$/.exec(url);
  return dist ? `service ${dist[1]}` : url;
}

const shortUrl = (url) => url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/');

const CASES = {
  health: () => ({ path: '/health' }),
  me: ({ grant }) => ({ path: '/auth/me', headers: { authorization: `Bearer ${grant.accessToken}` } }),
};

async function main() {
  if (!CASES[which]) throw new Error(`unknown case ${which}: one of ${Object.keys(CASES).join(', ')}`);
  fs.mkdirSync(profiles, { recursive: true });
  const db = await database();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const before = new Set(fs.readdirSync(profiles));
  const service = startService({
    databaseUrl: db.url,
    port,
    logFile: path.join(resultsDir, 'profile-service.log'),
    env: { BCRYPT_COST: '10' },
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profiles}`],
  });
  try {
    await untilReady(url, service);
    const credentials = { email: `profile.${Date.now()}@example.com`, password: 'a profiling passphrase' };
    const grant = await register(url, credentials.email, credentials.password);
    const spec = CASES[which]({ grant });
    await sleep(500);
    const run = await autocannon({
      url: `${url}${spec.path}`,
      method: spec.method ?? 'GET',
      headers: spec.headers,
      connections: 10,
      duration: seconds,
    });
    process.stderr.write(`${which}: ${Math.round(run['2xx'] / run.duration)} req/s, ${run.non2xx} non-2xx, p99 ${run.latency.p99} ms\n`);
  } finally {
    await stop(service);
    await db.drop();
  }
  // One file per thread (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile): keep the main thread's (0),
  // drop the hashing threads'.
  const fresh = fs.readdirSync(profiles).filter((name) => !before.has(name) && name.startsWith('CPU.'));
  const written = fresh.find((name) => /\.0\.\d+\.cpuprofile$/.test(name));
  for (const name of fresh) if (name !== written) fs.rmSync(path.join(profiles, name));
  if (!written) throw new Error('no profile of the main thread was written');
  const label = option('label', new Date().toISOString().replace(/[:.]/g, '-'));
  const file = path.join(profiles, `${which}-${label}.cpuprofile`);
  fs.renameSync(path.join(profiles, written), file);
  const summary = summarise(JSON.parse(fs.readFileSync(file, 'utf8')));
  console.log(`profile: ${path.relative(root, file)} (${summary.busyMs} ms busy)`);
  console.log('self time by group:');
  for (const { name, percent } of summary.groups) console.log(`  ${String(percent).padStart(5)}%  ${name}`);
  console.log('hottest functions:');
  for (const { name, percent } of summary.functions) console.log(`  ${String(percent).padStart(5)}%  ${name}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
