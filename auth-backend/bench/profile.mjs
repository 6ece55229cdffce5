// Where the CPU of one endpoint goes: starts the built service under `node --cpu-prof`, drives
// one case with autocannon, stops it (the profile is written at exit) and prints the self time
// by package / module and the hottest functions. By hand, before and after a change:
//   npm run build && node bench/profile.mjs me [--seconds 10]        (cases: me, health, login, register, refresh)
// The .cpuprofile files land in bench/results/profiles/ (open them in Chrome DevTools).
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import {
  loginRequest,
  option,
  refreshRequest,
  register,
  registerRequest,
  registerUsers,
  resultsDir,
  root,
  seedRefreshTokens,
  sleep,
  withBuiltService,
} from './service.mjs';

const args = process.argv.slice(2);
const which = args.find((arg, index) => !arg.startsWith('--') && !args[index - 1]?.startsWith('--')) ?? 'me';
const seconds = Number(option('seconds', 10));
const profiles = path.join(resultsDir, 'profiles');

/**
 * Self time of a profile, by group (package, node module, service file) and by function, counting
 * only the samples taken while the load ran (`window`, CLOCK_MONOTONIC µs like the profile's own
 * timestamps): start-up and the arrangement stay out.
 */
function summarise(profile, window, top = 15) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    at += profile.timeDeltas[index] ?? 0;
    if (at >= window.from && at <= window.to) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
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
  health: ({ url }) => ({ url: `${url}/health` }),
  me: ({ url, grant }) => ({ url: `${url}/auth/me`, headers: { authorization: `Bearer ${grant.accessToken}` } }),
  login: ({ url, users }) => ({ url, requests: [loginRequest(users)] }),
  refresh: ({ url, tokens }) => ({ url, requests: [refreshRequest(tokens)] }),
  register: ({ url, password }) => ({ url, requests: [registerRequest('profile', password)] }),
};

async function main() {
  if (!CASES[which]) throw new Error(`unknown case ${which}: one of ${Object.keys(CASES).join(', ')}`);
  fs.mkdirSync(profiles, { recursive: true });
  const before = new Set(fs.readdirSync(profiles));
  const window = { from: 0, to: 0 };
  let requests = 0;
  await withBuiltService(
    { logFile: path.join(resultsDir, 'profile-service.log'), nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profiles}`] },
    async ({ url, db }) => {
      const password = 'a profiling passphrase';
      const grant = await register(url, `profile.${Date.now()}@example.com`, password);
      const users = which === 'login' ? await registerUsers(url, `profile.${Date.now()}`, password) : [];
      const tokens = which === 'refresh' ? await seedRefreshTokens(db.url, grant.user.id, seconds * 4000) : [];
      await sleep(500);
      const micros = () => Number(process.hrtime.bigint() / 1000n);
      window.from = micros();
      const run = await autocannon({ ...CASES[which]({ url, grant, users, password, tokens }), connections: 10, duration: seconds });
      window.to = micros();
      requests = run['2xx'];
      process.stderr.write(`${which}: ${Math.round(run['2xx'] / run.duration)} req/s, ${run.non2xx} non-2xx, p99 ${run.latency.p99} ms\n`);
    },
  );
  // One file per thread (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile): keep the main thread's (0),
  // drop the hashing threads'.
  const fresh = fs.readdirSync(profiles).filter((name) => !before.has(name) && name.startsWith('CPU.'));
  const written = fresh.find((name) => /\.0\.\d+\.cpuprofile$/.test(name));
  for (const name of fresh) if (name !== written) fs.rmSync(path.join(profiles, name));
  if (!written) throw new Error('no profile of the main thread was written');
  const label = option('label', new Date().toISOString().replace(/[:.]/g, '-'));
  const file = path.join(profiles, `${which}-${label}.cpuprofile`);
  fs.renameSync(path.join(profiles, written), file);
  const summary = summarise(JSON.parse(fs.readFileSync(file, 'utf8')), window);
  console.log(
    `profile: ${path.relative(root, file)} (${summary.busyMs} ms busy under load, ${((1000 * summary.busyMs) / requests).toFixed(0)} µs per request)`,
  );
  console.log('self time by group:');
  for (const { name, percent } of summary.groups) console.log(`  ${String(percent).padStart(5)}%  ${name}`);
  console.log('hottest functions:');
  for (const { name, percent } of summary.functions) console.log(`  ${String(percent).padStart(5)}%  ${name}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
