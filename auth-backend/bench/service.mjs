// What the benchmark (run.mjs) and the profiler (profile.mjs) share: a throwaway database, the
// built service started as in production with its log lines going to a file, a registered user.
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..');
/** Git-ignored: the service's logs and the CPU profiles of a run. */
export const resultsDir = path.join(here, 'results');
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const json = { 'content-type': 'application/json' };
/** The middle value (the upper one of an even count), by `key` when given. */
export const median = (values, key = (value) => value) => [...values].sort((a, b) => key(a) - key(b))[Math.floor(values.length / 2)];

const secret = randomBytes(48).toString('base64');

/** A fresh database on the local PostgreSQL (or DATABASE_URL's server), dropped by drop(). */
export async function database() {
  const { startLocalPostgres, databaseUrlFor } = await import(path.join(root, 'dist/dev/local-postgres.js'));
  const local = process.env.DATABASE_URL
    ? { adminUrl: process.env.DATABASE_URL, stop: async () => undefined }
    : await startLocalPostgres({ dataDir: path.join(root, '.data', 'bench-postgres'), port: 54331 });
  const name = `auth_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: local.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const version = (await admin.query('SHOW server_version')).rows[0].server_version;
  await admin.end();
  return {
    url: databaseUrlFor(local.adminUrl, name),
    version,
    async drop() {
      const client = new pg.Client({ connectionString: local.adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
      await local.stop();
    },
  };
}

/**
 * The built entrypoint in production mode. Its stdout (the JSON log lines, at info) is appended
 * to `logFile`, as a container's would be: never /dev/null, which would flatter the figures.
 */
/** The image's NODE_OPTIONS (auth-backend/Dockerfile, runtime stage): the bench runs the service as production does. */
export const productionNodeOptions = () => fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8').match(/^\s*NODE_OPTIONS=(\S+)/m)?.[1] ?? '';

export function startService({ databaseUrl, port, logFile, env = {}, nodeArgs = [], dist }) {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'a');
  // `dist` or BENCH_DIST: another build (say, of the commit before a change) for an A/B run.
  const child = spawn(process.execPath, [...nodeArgs, path.resolve(root, dist ?? process.env.BENCH_DIST ?? 'dist', 'entrypoint.js')], {
    cwd: root,
    stdio: ['ignore', out, 'inherit'],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      JWT_SECRET: secret,
      PASSWORD_PEPPER: `${secret}-pepper`,
      KEY_ENCRYPTION_KEY: `${secret}-key-encryption`,
      THROTTLE_IP_MAX: '100000',
      // The lowest allowed cost unless the caller says otherwise; the hashing threads as the bench's
      // environment asks (unset: the service's default, one per CPU).
      BCRYPT_COST: '10',
      ...(process.env.PASSWORD_HASH_CONCURRENCY ? { PASSWORD_HASH_CONCURRENCY: process.env.PASSWORD_HASH_CONCURRENCY } : {}),
      BACKUP_BEFORE_MIGRATE: 'false',
      LOG_LEVEL: 'info',
      NODE_OPTIONS: productionNodeOptions(),
      ...env,
    },
  });
  fs.closeSync(out);
  return child;
}

export async function untilReady(url, child, timeoutMs = 60_000) {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/ready`)).status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
  throw new Error('the service did not become ready');
}

export const stop = (child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGTERM'))));

/** Registers an account; the token response. */
export async function register(url, email, password) {
  const response = await fetch(`${url}/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
  if (response.status !== 201) throw new Error(`register answered ${response.status}`);
  return response.json();
}

/**
 * Accounts for a login storm: a real storm is many users signing in, so the requests go round
 * them (never more than one attempt of an account in flight with 10 connections). One account for
 * every request would meet the per-account throttle: beyond its free failures it lets one attempt
 * in at a time (src/auth/login-throttle.ts).
 */
export async function registerUsers(url, prefix, password, count = 40) {
  const users = [];
  for (let i = 0; i < count; i++) users.push({ email: `${prefix}.${i}@example.com`, password });
  for (const user of users) await register(url, user.email, password);
  return users;
}

/** An autocannon request that logs the accounts of `users` in, round-robin. */
export function loginRequest(users) {
  let next = 0;
  return {
    method: 'POST',
    path: '/auth/login',
    headers: json,
    setupRequest: (req) => ({ ...req, body: JSON.stringify(users[next++ % users.length]) }),
  };
}

/** `count` refresh tokens of `userId`, each of a session of its own, written straight to the database (each works once). */
export async function seedRefreshTokens(databaseUrl, userId, count) {
  const tokens = Array.from({ length: count }, () => randomBytes(32).toString('base64url'));
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  for (let offset = 0; offset < tokens.length; offset += 5000) {
    const slice = tokens.slice(offset, offset + 5000);
    const sessions = slice.map(() => randomUUID());
    await client.query(
      `WITH s AS (INSERT INTO session (id, "userId", "expiresAt") SELECT unnest($1::uuid[]), $2, now() + interval '1 day' RETURNING id)
       INSERT INTO refresh_token (id, "sessionId", "tokenHash", "expiresAt")
       SELECT gen_random_uuid(), sid, hash, now() + interval '1 day' FROM unnest($1::uuid[], $3::text[]) AS t(sid, hash)`,
      [sessions, userId, slice.map((token) => createHash('sha256').update(token).digest('base64url'))],
    );
  }
  await client.end();
  return tokens;
}

/** An autocannon request that registers a new account each time (unique addresses under `prefix`). */
export function registerRequest(prefix, password) {
  let next = 0;
  return {
    method: 'POST',
    path: '/auth/register',
    headers: json,
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: `${prefix}.${process.pid}.${next++}@example.com`, password }) }),
  };
}

/** An autocannon request that refreshes with the next of `tokens` (each works once). */
export function refreshRequest(tokens) {
  let next = 0;
  return {
    method: 'POST',
    path: '/auth/refresh',
    headers: json,
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ refreshToken: tokens[next++ % tokens.length] }) }),
  };
}

/**
 * A fresh database and the built service on it, ready; `work({ url, db, service })` runs, then the
 * service is stopped and the database dropped, whatever happened.
 */
export async function withBuiltService({ logFile, env, nodeArgs }, work) {
  const db = await database();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const service = startService({ databaseUrl: db.url, port, logFile, env, nodeArgs });
  try {
    await untilReady(url, service);
    return await work({ url, db, service });
  } finally {
    await stop(service);
    await db.drop();
  }
}

/** CPU time (user + system) a process has used so far, in µs, from /proc (USER_HZ ticks of 10 ms). */
export const processCpuMicros = (pid) => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * (1e6 / 100);
};

/** The value after `--name` on the command line, else `fallback`. */
export function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1];
}

/** The machine's CPU time so far (/proc/stat, USER_HZ ticks): busy, idle, steal (given to other guests) and all. */
export function machineTicks() {
  // user nice system idle iowait irq softirq steal
  const n = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  return { busy: n[0] + n[1] + n[2] + n[5] + n[6] + n[7], idle: n[3] + n[4], steal: n[7], total: n.reduce((sum, value) => sum + value, 0) };
}

/** A port that is free now, for a child process to listen on. */
export async function freePort() {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
