/**
 * Helpers for tests of the asymmetric signing keys: the environment that turns them on with
 * short intervals, the real operator command, and the stored private keys (decrypted the way the
 * service does) for forging tokens with a key that should no longer be accepted.
 */
import http from 'node:http';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { KeyObject } from 'node:crypto';
import { loadConfig } from '../../src/config/config';
import { KeyEncryption } from '../../src/crypto/key-encryption';
import { privateKeyObject } from '../../src/keys/signing-key';
import type { TestDatabase } from './test-database';

const root = path.resolve(__dirname, '../..');

/** ES256 with a refresh every second; a rotated key signs `activationDelay` seconds after it is stored. */
export const keyEnv = (overrides: Record<string, string> = {}) => ({
  JWT_ALGORITHM: 'ES256',
  KEY_REFRESH_INTERVAL: '1',
  JWKS_MAX_AGE: '1',
  ...overrides,
});

/** `npm run keys:<command> -- args`, for real, against `databaseUrl`. */
export const runKeysCommand = (command: 'rotate' | 'revoke' | 'list', args: string[], env: Record<string, string>) =>
  runOperatorCommand(`keys:${command}`, args, env);

/** `npm run <script> -- args` as an operator runs it: the service's environment (NODE_ENV test unless `env` says otherwise). */
export function runOperatorCommand(script: string, args: string[], env: Record<string, string>) {
  const result = spawnSync('npm', ['run', '-s', script, ...(args.length > 0 ? ['--', ...args] : [])], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface StoredKeyRow {
  kid: string;
  algorithm: string;
  publicJwk: string;
  privateKey: string;
  activatesAt: Date;
  revokedAt: Date | null;
}

export const storedKeys = (database: TestDatabase) =>
  database.query<StoredKeyRow>(`SELECT kid, algorithm, "publicJwk", "privateKey", "activatesAt", "revokedAt" FROM signing_key ORDER BY "activatesAt", kid`);

/** The private key of a stored row, decrypted with the (development) key-encryption key of `env`. */
export function decryptedPrivateKey(row: StoredKeyRow, env: Record<string, string> = {}): KeyObject {
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'postgresql://unused/unused', ...env });
  return privateKeyObject(new KeyEncryption(config.keys.encryptionKey).decrypt(row.privateKey, row));
}

export const headerOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid?: string; alg: string; typ: string };

/** The app on a real socket (port 0, loopback), for clients that fetch by URL (jose's remote JWKS). */
export async function listen(app: Express): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export const sleepUntil = (instant: Date) => new Promise((resolve) => setTimeout(resolve, Math.max(0, instant.getTime() - Date.now())));
