// POST /auth/mfa/verify against POST /auth/refresh in one run (docs/performance.md, v3:
// "no slower than POST /auth/refresh"). By hand: `npm run build && node bench/mfa-verify.mjs [--users 1500]`.
// Each mfaToken and each (factor, time step) works once, so the run prepares one account per
// request: registered and enrolled through the API (real TOTP codes), its mfaToken opened through
// the service's own table module (no password hashing in the measured part). Then autocannon
// (-c 10) sends exactly one verify per account, with the code of the next time step (within the
// accepted drift), and as many refreshes, each with a refresh token of its own; twice each,
// alternating. Prints req/s, p99 and the service's CPU time per request (from /proc).
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { Secret, TOTP } from 'otpauth';
import { json, median, option, processCpuMicros, register, resultsDir, seedRefreshTokens, withBuiltService, refreshRequest } from './service.mjs';

const USERS = Number(option('users', 1500));
const ROUNDS = 2;
const require = (await import('node:module')).createRequire(import.meta.url);
const { MfaChallengesTable } = require('../dist/tables/mfa-challenges.js');

// Codes from the same library the service uses (a bench measures; test/mfa checks codes against an independent implementation).
const totp = (secret, step) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: step * 30_000 });
const stepNow = () => Math.floor(Date.now() / 30_000);

async function enroll(url, index) {
  const tokens = await register(url, `bench.mfa.${process.pid}.${index}@example.com`, 'a perfectly good passphrase');
  const auth = { ...json, authorization: `Bearer ${tokens.accessToken}` };
  const { secret } = await (await fetch(`${url}/auth/mfa/totp/setup`, { method: 'POST', headers: auth })).json();
  const confirmed = await fetch(`${url}/auth/mfa/totp/confirm`, { method: 'POST', headers: auth, body: JSON.stringify({ code: totp(secret, stepNow()) }) });
  if (confirmed.status !== 200) throw new Error(`confirm answered ${confirmed.status}`);
  return { userId: tokens.user.id, secret };
}

await withBuiltService(
  {
    logFile: path.join(resultsDir, 'mfa-verify.log'),
    env: { BCRYPT_COST: '10' },
    nodeArgs: process.argv.includes('--profile') ? ['--cpu-prof', `--cpu-prof-dir=${path.join(resultsDir, 'profiles')}`] : [],
  },
  async ({ url, db, service }) => {
    const started = Date.now();
    const accounts = [];
    for (let i = 0; i < USERS * ROUNDS; i++) accounts.push(await enroll(url, i));
    console.log(`${accounts.length} accounts enrolled in ${Math.round((Date.now() - started) / 1000)} s`);
    const pool = new pg.Pool({ connectionString: db.url, max: 4 });
    const challenges = new MfaChallengesTable(pool, () => new Date());
    const results = { verify: [], refresh: [] };
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const batch = accounts.slice(round * USERS, (round + 1) * USERS);
        // The next step's code: the confirming one (this step or the last) is spent, the next is within the drift.
        const pairs = [];
        for (const account of batch) pairs.push({ mfaToken: await challenges.open(account.userId, ['pwd']), code: totp(account.secret, stepNow() + 1) });
        const refreshTokens = await seedRefreshTokens(db.url, batch[0].userId, USERS);
        let next = 0;
        const cases = {
          verify: { method: 'POST', path: '/auth/mfa/verify', headers: json, setupRequest: (req) => ({ ...req, body: JSON.stringify(pairs[next++]) }) },
          refresh: refreshRequest(refreshTokens),
        };
        for (const [name, request] of Object.entries(cases)) {
          const cpuBefore = processCpuMicros(service.pid);
          const began = performance.now();
          const run = await autocannon({ url, connections: 10, amount: USERS, requests: [request] });
          const seconds = (performance.now() - began) / 1000;
          const cpuUs = (processCpuMicros(service.pid) - cpuBefore) / run['2xx'];
          results[name].push({ rps: run['2xx'] / seconds, p99: run.latency.p99, non2xx: run.non2xx, cpuUs });
        }
      }
    } finally {
      await pool.end();
    }
    for (const [name, runs] of Object.entries(results))
      console.log(
        `${name}: ${runs.map((r) => `${r.rps.toFixed(0)} req/s (p99 ${r.p99} ms, ${r.non2xx} non-2xx, ${r.cpuUs.toFixed(0)} µs CPU/request)`).join('; ')}`,
      );
    const ratio = median(results.verify.map((r) => r.rps)) / median(results.refresh.map((r) => r.rps));
    console.log(`verify / refresh: ${ratio.toFixed(2)} (v3 target: >= 1.00, "no slower than refresh")`);
    const perRound = results.verify.map((r, round) => r.cpuUs / results.refresh[round].cpuUs);
    console.log(`verify CPU / refresh CPU per request: ${perRound.map((r) => `${r.toFixed(2)}x`).join(', ')} (v4 target: <= 1.5x)`);
  },
);
