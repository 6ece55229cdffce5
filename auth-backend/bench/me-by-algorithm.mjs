// `GET /auth/me` by JWT_ALGORITHM (run by hand: `npm run build && node bench/me-by-algorithm.mjs`).
// 1. In-process: the cost of one access-token verify, v1's code (HS256 only, as of b90c718) against
//    the current AccessTokens for HS256, ES256 and RS256.
// 2. Over HTTP: the built service with each algorithm against bare Express, measured alternately in
//    the same run (autocannon -c 10, 3 x 5 s after 2 s warm-up, median), as a ratio to bare.
// Prints a Markdown table; docs/performance.md quotes it. Needs DATABASE_URL (an admin connection).
import { spawn } from 'node:child_process';
import { createSecretKey, randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import autocannon from 'autocannon';
import pg from 'pg';
import { median } from './service.mjs';

const require = createRequire(import.meta.url);
const jwt = require('jsonwebtoken');
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const { AccessTokens } = require(path.join(root, 'dist/auth/access-tokens.js'));
const { SharedSecretKey } = require(path.join(root, 'dist/keys/token-keys.js'));
const { generateSigningKey, privateKeyObject, publicKeyObject } = require(path.join(root, 'dist/keys/signing-key.js'));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const options = { issuer: 'auth-backend', audience: 'auth-backend', ttlSeconds: 900 };
const claims = { sub: randomUUID(), sid: randomUUID(), amr: ['pwd'] };

/** v1's verify (src/auth/access-tokens.ts at b90c718), for the before/after comparison. */
function v1Verify(token, key) {
  const decoded = jwt.verify(token, key, { algorithms: ['HS256'], issuer: 'auth-backend', audience: 'auth-backend', complete: true });
  const typ = String(decoded.header.typ ?? '').toLowerCase();
  if (typ !== 'at+jwt' && typ !== 'application/at+jwt') throw new Error('typ');
  if (typeof decoded.payload.exp !== 'number') throw new Error('exp');
  return { sub: decoded.payload.sub, sid: decoded.payload.sid };
}

/** A key ring of one asymmetric key, without a database. */
function fixedRing(algorithm) {
  const generated = generateSigningKey(algorithm);
  const signing = { kid: generated.kid, algorithm, key: privateKeyObject(generated.privateDer) };
  const verifying = new Map([[generated.kid, { kid: generated.kid, algorithm, key: publicKeyObject(generated.publicJwk) }]]);
  return { isReady: true, ready: async () => undefined, signingKey: () => signing, verificationKey: (kid) => verifying.get(kid) };
}

async function microseconds(fn, iterations) {
  for (let i = 0; i < iterations / 10; i++) await fn();
  const runs = [];
  for (let r = 0; r < 5; r++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await fn();
    runs.push(Number(process.hrtime.bigint() - started) / 1000 / iterations);
  }
  return median(runs);
}

async function inProcess() {
  const secret = 'a-benchmark-secret-of-at-least-32-bytes-long!!';
  const hs = new AccessTokens(options, new SharedSecretKey(secret));
  const hsToken = await hs.sign(claims);
  const rows = [['v1 verify, HS256 (b90c718)', await microseconds(() => v1Verify(hsToken, createSecretKeyOnce(secret)), 20000)]];
  rows.push(['AccessTokens.verify, HS256', await microseconds(() => hs.verify(hsToken), 20000)]);
  for (const algorithm of ['ES256', 'RS256']) {
    const tokens = new AccessTokens(options, fixedRing(algorithm));
    const token = await tokens.sign(claims);
    rows.push([`AccessTokens.verify, ${algorithm}`, await microseconds(() => tokens.verify(token), 5000)]);
    rows.push([`AccessTokens.sign, ${algorithm}`, await microseconds(() => tokens.sign(claims), algorithm === 'RS256' ? 500 : 5000)]);
  }
  return rows;
}
let cachedKey;
const createSecretKeyOnce = (secret) => (cachedKey ??= createSecretKey(Buffer.from(secret)));

function startService(env) {
  return spawn(process.execPath, [path.join(root, 'dist/entrypoint.js')], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      BCRYPT_COST: '10',
      BACKUP_BEFORE_MIGRATE: 'false',
      JWT_SECRET: 'a-benchmark-secret-of-at-least-32-bytes-long!!',
      PASSWORD_PEPPER: 'a-benchmark-pepper-of-at-least-32-bytes-long!!',
      KEY_ENCRYPTION_KEY: 'a-benchmark-key-encryption-key-of-32-bytes!!',
      THROTTLE_IP_MAX: '100000',
      ...env,
    },
  });
}
async function untilReady(url) {
  for (let i = 0; i < 3000; i++) {
    try {
      if ((await fetch(`${url}/ready`)).status === 200) return;
    } catch {
      // not yet
    }
    await sleep(20);
  }
  throw new Error('not ready');
}
async function rate(options) {
  await autocannon({ connections: 10, duration: 2, ...options });
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const run = await autocannon({ connections: 10, duration: 5, ...options });
    if (run.non2xx || run.errors) throw new Error(`${run.non2xx} non-2xx, ${run.errors} errors`);
    runs.push(run['2xx'] / run.duration);
  }
  return median(runs);
}

async function overHttp() {
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  const bare = spawn(process.execPath, [path.join(here, 'bare-express.mjs')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const barePort = await new Promise((resolve) => bare.stdout.once('data', (chunk) => resolve(JSON.parse(chunk.toString()).port)));
  const rows = [];
  try {
    for (const [index, algorithm] of ['HS256', 'ES256', 'RS256'].entries()) {
      const name = `auth_bench_alg_${process.pid}_${index}`;
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(process.env.DATABASE_URL);
      url.pathname = `/${name}`;
      const port = 41000 + (process.pid % 1000) + index;
      const service = startService({ DATABASE_URL: url.toString(), PORT: String(port), JWT_ALGORITHM: algorithm });
      const base = `http://127.0.0.1:${port}`;
      try {
        await untilReady(base);
        const registered = await (
          await fetch(`${base}/auth/register`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email: `bench.${Date.now()}@example.com`, password: 'a benchmark passphrase' }),
          })
        ).json();
        const bareRps = await rate({ url: `http://127.0.0.1:${barePort}/` });
        const meRps = await rate({ url: `${base}/auth/me`, headers: { authorization: `Bearer ${registered.accessToken}` } });
        rows.push([algorithm, bareRps, meRps]);
      } finally {
        await new Promise((resolve) => (service.once('exit', resolve), service.kill('SIGTERM')));
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }
    }
  } finally {
    bare.kill('SIGTERM');
    await admin.end();
  }
  return rows;
}

const micro = await inProcess();
process.stdout.write('| in-process (one call) | µs |\n| --- | ---: |\n');
for (const [label, us] of micro) process.stdout.write(`| ${label} | ${us.toFixed(1)} |\n`);
if (!process.argv.includes('--in-process-only')) {
  const http = await overHttp();
  process.stdout.write('\n| JWT_ALGORITHM | bare Express req/s | GET /auth/me req/s | ratio |\n| --- | ---: | ---: | ---: |\n');
  for (const [algorithm, bareRps, meRps] of http)
    process.stdout.write(`| ${algorithm} | ${bareRps.toFixed(0)} | ${meRps.toFixed(0)} | ${(meRps / bareRps).toFixed(2)} |\n`);
}
