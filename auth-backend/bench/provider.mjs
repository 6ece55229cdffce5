// The OpenID Provider's two v4 targets (docs/performance.md), by hand:
//   npm run build && node bench/provider.mjs [--seconds 8] [--codes 400]
// 1. client_credentials at the token endpoint (resource -> an ES256 JWT access token) against the
//    same library (oidc-provider, same version) with its in-memory adapter, a static client and the
//    same key type, alone in a process of its own: autocannon -c 10, alternating, twice each, median.
// 2. The authorization code exchange's CPU per request against POST /auth/refresh's, in the same
//    run: codes made through single sign-on (one password sign-in, then one redirect per code), each
//    exchanged once with its PKCE verifier; refresh tokens seeded as bench/mfa-verify.mjs does.
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import {
  database,
  freePort,
  median,
  option,
  processCpuMicros,
  register,
  resultsDir,
  root,
  seedRefreshTokens,
  startService,
  stop,
  untilReady,
  refreshRequest,
} from './service.mjs';

const SECONDS = Number(option('seconds', 8));
const CODES = Number(option('codes', 400));
const ROUNDS = 2;
const CALLBACK = 'https://app.bench/callback';
const API = 'https://api.bench/';
const PASSWORD = 'a perfectly good passphrase';
const b64url = (buffer) => buffer.toString('base64url');
const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const form = (fields) => new URLSearchParams(fields).toString();

/** The reference: oidc-provider alone, in-memory adapter, one static client, an ES256 key (bench/provider-reference.mjs). */
async function startReference(port) {
  const child = spawn(process.execPath, [path.join(root, 'bench', 'provider-reference.mjs')], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve) => child.stdout.once('data', resolve));
  return child;
}

function clientsCreate(databaseUrl, args) {
  const result = spawnSync(process.execPath, [path.join(root, 'dist/provider/clients-cli.js'), ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'test' },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout);
}

async function measure(url, pid, request, options) {
  const cpuBefore = processCpuMicros(pid);
  const began = performance.now();
  const run = await autocannon({ url, connections: 10, requests: [request], ...options });
  const seconds = (performance.now() - began) / 1000;
  return { rps: run['2xx'] / seconds, p99: run.latency.p99, non2xx: run.non2xx, cpuUs: (processCpuMicros(pid) - cpuBefore) / Math.max(1, run['2xx']) };
}

/** A tiny cookie jar and redirect follower, enough for the provider's pages. */
function browser() {
  const cookies = new Map();
  const header = () => [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  const fetchOnce = async (url, init = {}) => {
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers ?? {}), cookie: header() } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return response;
  };
  /** GETs and follows redirects until the app's callback; returns that URL or the last page. */
  const follow = async (url, init) => {
    let response = await fetchOnce(url, init);
    for (;;) {
      const location = response.headers.get('location');
      if (!location) return { page: await response.text(), url };
      url = new URL(location, url).href;
      if (url.startsWith(CALLBACK)) return { callback: new URL(url) };
      response = await fetchOnce(url);
    }
  };
  return { follow };
}

const bench = { clientCredentials: { service: [], reference: [] }, exchange: [], refresh: [] };
const db = await database();
const servicePort = await freePort();
const url = `http://127.0.0.1:${servicePort}`;
const service = startService({
  databaseUrl: db.url,
  port: servicePort,
  logFile: path.join(resultsDir, 'provider.log'),
  env: { PUBLIC_URL: url, JWT_ALGORITHM: 'ES256', BCRYPT_COST: '10', THROTTLE_IP_MAX: '100000' },
  nodeArgs: process.argv.includes('--profile') ? ['--cpu-prof', `--cpu-prof-dir=${path.join(resultsDir, 'profiles')}`] : [],
});
const referencePort = await freePort();
const reference = await startReference(referencePort);
try {
  await untilReady(url, service);
  const machine = clientsCreate(db.url, ['--name', 'Bench job', '--grant', 'client_credentials', '--resource', API]);
  const web = clientsCreate(db.url, ['--name', 'Bench app', '--redirect-uri', CALLBACK, '--first-party']);

  // 1. client_credentials, ours and the reference's, alternating.
  const tokenRequest = (id, secret) => ({
    method: 'POST',
    path: '/oidc/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(id, secret) },
    body: form({ grant_type: 'client_credentials', resource: API }),
  });
  for (let round = 0; round < ROUNDS; round++) {
    bench.clientCredentials.service.push(await measure(url, service.pid, tokenRequest(machine.clientId, machine.clientSecret), { duration: SECONDS }));
    bench.clientCredentials.reference.push(
      await measure(`http://127.0.0.1:${referencePort}`, reference.pid, tokenRequest('bench-job', 'bench-secret'), { duration: SECONDS }),
    );
  }

  // 2. Codes through single sign-on, exchanged once each; refresh tokens as many.
  const user = await register(url, `bench.provider.${process.pid}@example.com`, PASSWORD);
  const { follow } = browser();
  const authorization = () => {
    const verifier = b64url(randomBytes(32));
    const challenge = b64url(createHash('sha256').update(verifier).digest());
    const query = form({
      client_id: web.clientId,
      response_type: 'code',
      redirect_uri: CALLBACK,
      scope: 'openid',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: b64url(randomBytes(8)),
    });
    return { verifier, url: `${url}/oidc/auth?${query}` };
  };
  const first = authorization();
  const signIn = await follow(first.url);
  const action = /<form method="post" action="([^"]+)"/.exec(signIn.page)[1];
  const csrf = /name="csrf" value="([^"]+)"/.exec(signIn.page)[1];
  await follow(`${url}${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form({ csrf, email: user.user.email, password: PASSWORD }),
  });
  for (let round = 0; round < ROUNDS; round++) {
    const codes = [];
    for (let i = 0; i < CODES; i++) {
      const next = authorization();
      const { callback } = await follow(next.url);
      codes.push({ code: callback.searchParams.get('code'), verifier: next.verifier });
    }
    let index = 0;
    bench.exchange.push(
      await measure(
        url,
        service.pid,
        {
          method: 'POST',
          path: '/oidc/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(web.clientId, web.clientSecret) },
          setupRequest: (req) => {
            const { code, verifier } = codes[index++];
            return { ...req, body: form({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier }) };
          },
        },
        { amount: CODES },
      ),
    );
    const refreshTokens = await seedRefreshTokens(db.url, user.user.id, CODES);
    bench.refresh.push(await measure(url, service.pid, refreshRequest(refreshTokens), { amount: CODES }));
  }
} finally {
  await stop(service);
  await stop(reference);
  await db.drop();
}

const show = (runs) => runs.map((r) => `${r.rps.toFixed(0)} req/s (p99 ${r.p99} ms, ${r.non2xx} non-2xx, ${r.cpuUs.toFixed(0)} µs CPU/request)`).join('; ');
console.log(`client_credentials, this service: ${show(bench.clientCredentials.service)}`);
console.log(`client_credentials, oidc-provider in memory: ${show(bench.clientCredentials.reference)}`);
const ratio = median(bench.clientCredentials.service.map((r) => r.rps)) / median(bench.clientCredentials.reference.map((r) => r.rps));
console.log(`client_credentials ratio: ${ratio.toFixed(2)} (target >= 0.50)`);
console.log(`code exchange: ${show(bench.exchange)}`);
console.log(`refresh: ${show(bench.refresh)}`);
const cpu = median(bench.exchange.map((r) => r.cpuUs)) / median(bench.refresh.map((r) => r.cpuUs));
console.log(`code exchange CPU / refresh CPU: ${cpu.toFixed(2)} (target <= 3.00)`);
