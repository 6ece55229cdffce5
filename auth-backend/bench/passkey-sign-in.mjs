// A passkey sign-in (POST /auth/passkeys/authentication: the assertion verified, the counter rule,
// a new session) against POST /auth/refresh in one run (the v4 target: "at most 2x
// the CPU per request of POST /auth/refresh"). By hand:
// `npm run build && node bench/passkey-sign-in.mjs [--requests 1500] [--accounts 20] [--profile]`
// (--profile: the service's CPU profile under bench/results/profiles/).
// The assertions come from the tests' software authenticator (test/support/software-authenticator.ts,
// transpiled here with the project's TypeScript), with synced passkeys (counter 0, as iCloud and
// Google passkeys report it) registered through the API. Each challenge answers once, so the run
// asks for one set of options per request beforehand (not measured: they are a separate endpoint),
// signs each, then autocannon (-c 10) sends exactly one sign-in per assertion, and as many
// refreshes, each with a refresh token of its own; after a warm-up round (1,500 each), three rounds alternating. Prints req/s, p99 and
// the service's CPU time per request (from /proc), and the options endpoint's for reference.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import autocannon from 'autocannon';
import ts from 'typescript';
import { here, json, median, option, processCpuMicros, register, resultsDir, seedRefreshTokens, withBuiltService, refreshRequest } from './service.mjs';

const REQUESTS = Number(option('requests', 1500));
const ACCOUNTS = Number(option('accounts', 20));
const ROUNDS = 3;
// The sign-in path keeps getting cheaper over its first couple of thousand requests (V8 optimising
// it; with a 300-request warm-up the first measured round cost 1.4-1.6x the next two, refresh's
// 1.1-1.3x): a warm-up of 1,500 of each case measures both settled.
const WARMUP = 1500;

/** The tests' software authenticator, as CommonJS (one authenticator for tests and bench). */
function softwareAuthenticator() {
  const source = fs.readFileSync(path.join(here, '../test/support/software-authenticator.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
  // Under .data/ (git-ignored, not linted), where it still finds the project's node_modules.
  const dir = path.join(here, '../.data/bench');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'software-authenticator.cjs');
  fs.writeFileSync(file, outputText);
  return createRequire(import.meta.url)(file).SoftwareAuthenticator;
}

const post = async (url, route, body, token) => {
  const response = await fetch(`${url}${route}`, {
    method: 'POST',
    headers: { ...json, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body ?? {}),
  });
  if (response.status >= 300) throw new Error(`${route} answered ${response.status}: ${await response.text()}`);
  return response.json();
};

const profile = process.argv.includes('--profile');
const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(resultsDir, 'profiles')}`] : [];
await withBuiltService({ logFile: path.join(resultsDir, 'passkey-sign-in.log'), env: { BCRYPT_COST: '10' }, nodeArgs }, async ({ url, db, service }) => {
  // The service's own origin as the browser would name it (PUBLIC_URL defaults to http://localhost:PORT, the RP id to localhost).
  const SoftwareAuthenticator = softwareAuthenticator();
  const authenticator = new SoftwareAuthenticator(`http://localhost:${new URL(url).port}`);
  let firstUser;
  for (let i = 0; i < ACCOUNTS; i++) {
    const tokens = await register(url, `bench.passkey.${process.pid}.${i}@example.com`, 'a perfectly good passphrase');
    firstUser ??= tokens.user.id;
    const { options } = await post(url, '/auth/passkeys/registration/options', {}, tokens.accessToken);
    await post(url, '/auth/passkeys/registration', { response: authenticator.create(options, { synced: true }) }, tokens.accessToken);
  }
  console.log(`${ACCOUNTS} accounts with a passkey`);
  const results = { passkey: [], refresh: [], options: [] };
  // A warm-up round of each case, not measured (the first sign-ins compile the verification's code and prepare its statements).
  for (let round = -1; round < ROUNDS; round++) {
    const count = round < 0 ? WARMUP : REQUESTS;
    const assertions = [];
    for (let i = 0; i < count; i++) {
      const { options, challengeId } = await post(url, '/auth/passkeys/authentication/options');
      // Round the accounts' passkeys, as many users signing in would.
      const credentialId = authenticator.credentialIds()[i % ACCOUNTS];
      assertions.push(JSON.stringify({ challengeId, response: authenticator.get(options, { credentialId }) }));
    }
    const refreshTokens = await seedRefreshTokens(db.url, firstUser, count);
    let next = 0;
    const cases = {
      passkey: { method: 'POST', path: '/auth/passkeys/authentication', headers: json, setupRequest: (req) => ({ ...req, body: assertions[next++] }) },
      refresh: refreshRequest(refreshTokens),
      options: { method: 'POST', path: '/auth/passkeys/authentication/options', headers: json, body: '{}' },
    };
    for (const [name, request] of Object.entries(cases)) {
      const cpuBefore = processCpuMicros(service.pid);
      const began = performance.now();
      const run = await autocannon({ url, connections: 10, amount: count, requests: [request] });
      const seconds = (performance.now() - began) / 1000;
      const cpuUs = (processCpuMicros(service.pid) - cpuBefore) / run['2xx'];
      if (round >= 0) results[name].push({ rps: run['2xx'] / seconds, p99: run.latency.p99, non2xx: run.non2xx, cpuUs });
    }
  }
  for (const [name, runs] of Object.entries(results))
    console.log(
      `${name}: ${runs.map((r) => `${r.rps.toFixed(0)} req/s (p99 ${r.p99} ms, ${r.non2xx} non-2xx, ${r.cpuUs.toFixed(0)} µs CPU/request)`).join('; ')}`,
    );
  const cpu = (name) => median(results[name].map((r) => r.cpuUs));
  console.log(`passkey sign-in / refresh, CPU per request: ${(cpu('passkey') / cpu('refresh')).toFixed(2)} (target: <= 2.00)`);
  console.log(`passkey sign-in / refresh, req/s: ${(median(results.passkey.map((r) => r.rps)) / median(results.refresh.map((r) => r.rps))).toFixed(2)}`);
});
