import { spawnSync } from 'node:child_process';
import request from 'supertest';
import { loadConfig } from '../../src/config/config';
import { KeyDecryptionError, KeyEncryption } from '../../src/crypto/key-encryption';
import { createTestApp, registerUser, STRONG_PASSWORD, uniqueEmail, type TestApp } from '../support/test-app';
import { spawnService } from '../support/service-process';
import { describeWithPgTools } from '../support/test-database';
import { decryptedPrivateKey, keyEnv, runKeysCommand, storedKeys } from '../support/signing-keys';

/** Every form in which a private key could leak: PEM, the JWK's private members, the raw DER. */
async function privateForms(t: TestApp, env: Record<string, string>): Promise<string[]> {
  const forms: string[] = ['PRIVATE KEY'];
  for (const row of await storedKeys(t.database)) {
    const key = decryptedPrivateKey(row, env);
    const jwk = key.export({ format: 'jwk' });
    forms.push(jwk.d!, key.export({ format: 'der', type: 'pkcs8' }).toString('base64'), key.export({ format: 'der', type: 'pkcs8' }).toString('base64url'));
    forms.push(
      ...String(key.export({ format: 'pem', type: 'pkcs8' }))
        .split('\n')
        .slice(1, -2),
    );
  }
  return forms;
}

describe('signing keys at rest (JWT_ALGORITHM=ES256)', () => {
  const env = keyEnv({ KEY_ENCRYPTION_KEY: 'a-test-key-encryption-key-of-at-least-32-bytes' });
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(env);
    await registerUser(t.app);
    expect(runKeysCommand('rotate', [], { DATABASE_URL: t.database.url, ...env }).status).toBe(0);
  });
  afterAll(() => t.close());

  it('stores each private key sealed with AES-256-GCM, bound to its kid', async () => {
    const rows = await storedKeys(t.database);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.privateKey).toMatch(/^v1\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/);
      expect(JSON.parse(row.publicJwk)).not.toHaveProperty('d');
    }
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: t.database.url, ...env });
    const right = new KeyEncryption(config.keys.encryptionKey);
    expect(() => right.decrypt(rows[0]!.privateKey, rows[0]!)).not.toThrow();
    // Another key-encryption key, or the ciphertext moved onto another row: refused.
    expect(() => new KeyEncryption('another-key-encryption-key-of-32-bytes!!').decrypt(rows[0]!.privateKey, rows[0]!)).toThrow(KeyDecryptionError);
    expect(() => right.decrypt(rows[0]!.privateKey, rows[1]!)).toThrow(KeyDecryptionError);
  });

  it('never writes a private key to a log line, the JWKS, or the output of the key commands', async () => {
    const listed = runKeysCommand('list', [], { DATABASE_URL: t.database.url, ...env });
    expect(listed.status).toBe(0);
    const jwks = JSON.stringify((await request(t.app).get('/.well-known/jwks.json').expect(200)).body);
    const forms = await privateForms(t, env);
    for (const text of [t.logText(), jwks, listed.stdout + listed.stderr]) for (const form of forms) expect(text).not.toContain(form);
    expect(t.logText()).toMatch(/signing keys: created a signing key/);
  });

  describeWithPgTools('a pg_dump of the database', () => {
    it('holds no private key in the clear', async () => {
      const dump = spawnSync('pg_dump', ['--no-owner', t.database.url], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      expect(dump.status).toBe(0);
      expect(dump.stdout).toMatch(/signing_key/);
      for (const form of await privateForms(t, env)) expect(dump.stdout).not.toContain(form);
      expect(dump.stdout).not.toMatch(/"d"\s*:/);
    });
  });
});

describe('a replica with another KEY_ENCRYPTION_KEY', () => {
  it('refuses to start, naming the cause; after keys:rotate --revoke-current with the new value it starts', async () => {
    const env = keyEnv({ KEY_ENCRYPTION_KEY: 'the-first-key-encryption-key-of-32-bytes-or-more' });
    const t = await createTestApp(env);
    const stops: Array<() => Promise<unknown>> = [];
    try {
      await registerUser(t.app);
      const changed = { ...env, KEY_ENCRYPTION_KEY: 'the-second-key-encryption-key-of-32-bytes-or-more' };
      const refused = spawnService({ DATABASE_URL: t.database.url, ...changed });
      stops.push(() => refused.stop('SIGKILL'));
      expect((await refused.exited).code).toBe(70);
      expect(refused.output()).toMatch(/signing key \S+ cannot be decrypted: KEY_ENCRYPTION_KEY is not the one it was stored with/);

      expect(runKeysCommand('rotate', ['--revoke-current'], { DATABASE_URL: t.database.url, ...changed }).status).toBe(0);
      const started = spawnService({ DATABASE_URL: t.database.url, ...changed });
      stops.push(() => started.stop());
      const port = await started.waitForPort(60_000);
      const response = await fetch(`http://127.0.0.1:${port}/auth/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: uniqueEmail(), password: STRONG_PASSWORD }),
      });
      expect(response.status).toBe(201);
    } finally {
      for (const stop of stops) await stop();
      await t.close();
    }
  });
});

describe('KEY_ENCRYPTION_KEY configuration', () => {
  const production = { NODE_ENV: 'production', DATABASE_URL: 'postgresql://h/db', JWT_SECRET: 'x'.repeat(40), PASSWORD_PEPPER: 'y'.repeat(40) };
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (error) {
      return (error as { problems: string[] }).problems;
    }
  };

  it('is required in production with ES256 or RS256, at least 32 bytes and never the example value', () => {
    expect(problems({ ...production, JWT_ALGORITHM: 'ES256' })).toEqual(['KEY_ENCRYPTION_KEY: is required in production']);
    expect(problems({ ...production, JWT_ALGORITHM: 'RS256', KEY_ENCRYPTION_KEY: 'short' })).toEqual(['KEY_ENCRYPTION_KEY: must be at least 32 bytes']);
    expect(problems({ ...production, JWT_ALGORITHM: 'ES256', KEY_ENCRYPTION_KEY: 'change-me-to-a-third-long-random-secret-of-32-bytes' })).toEqual([
      expect.stringMatching(/^KEY_ENCRYPTION_KEY: is the example value/),
    ]);
    expect(problems({ ...production, JWT_ALGORITHM: 'ES256', KEY_ENCRYPTION_KEY: 'z'.repeat(40) })).toEqual([]);
  });

  it('is required with HS256 too (v3: it also seals TOTP secrets), and JWT_ALGORITHM accepts nothing else', () => {
    expect(problems(production)).toEqual(['KEY_ENCRYPTION_KEY: is required in production']);
    const withKey = { ...production, KEY_ENCRYPTION_KEY: 'z'.repeat(40) };
    expect(problems(withKey)).toEqual([]);
    expect(problems({ ...withKey, JWT_ALGORITHM: 'none' })).toEqual(['JWT_ALGORITHM: must be HS256, ES256 or RS256']);
    expect(problems({ ...withKey, JWT_ALGORITHM: 'HS512' })).toHaveLength(1);
  });
});
