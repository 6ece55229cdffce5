import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secrets'));
const secretFile = (name: string, content: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
};
const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('secrets as files (<NAME>_FILE, Docker and Kubernetes secrets)', () => {
  it('reads JWT_SECRET, PASSWORD_PEPPER, KEY_ENCRYPTION_KEY and SMTP_URL from files, less the trailing newline', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgresql://postgres:pw@db/auth_service',
      JWT_SECRET_FILE: secretFile('jwt', `${'j'.repeat(40)}\n`),
      PASSWORD_PEPPER_FILE: secretFile('pepper', `${'p'.repeat(40)}\r\n`),
      KEY_ENCRYPTION_KEY_FILE: secretFile('kek', 'k'.repeat(40)),
      SMTP_URL_FILE: secretFile('smtp', 'smtp://user:pass@mail:25\n'),
      MAIL_FROM: 'no-reply@example.com',
      APP_URL: 'https://app.example.com',
    });
    expect(config.jwt.secret).toBe('j'.repeat(40));
    expect(config.password.pepper).toBe('p'.repeat(40));
    expect(config.keys.encryptionKey).toBe('k'.repeat(40));
    expect(config.mail.smtpUrl).toBe('smtp://user:pass@mail:25');
  });

  it('puts DATABASE_PASSWORD_FILE into a DATABASE_URL without password, URL-encoded', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgresql://postgres@db:5432/auth_service?connect_timeout=5',
      DATABASE_PASSWORD_FILE: secretFile('dbpw', 'p@ss:w/rd%\n'),
    });
    expect(config.databaseUrl).toBe('postgresql://postgres:p%40ss%3Aw%2Frd%25@db:5432/auth_service?connect_timeout=5');
    expect(decodeURIComponent(new URL(config.databaseUrl).password)).toBe('p@ss:w/rd%');
  });

  it('refuses a secret given both ways, with one line naming it', () => {
    expect(problemsOf({ DATABASE_URL: 'postgresql://db/a', JWT_SECRET: 'x'.repeat(40), JWT_SECRET_FILE: secretFile('jwt2', 'y'.repeat(40)) })).toEqual([
      'JWT_SECRET: given both as JWT_SECRET and as JWT_SECRET_FILE: set only one',
    ]);
    expect(problemsOf({ DATABASE_URL: 'postgresql://postgres:pw@db/a', DATABASE_PASSWORD_FILE: secretFile('dbpw2', 'other') })).toEqual([
      'DATABASE_PASSWORD: given both in DATABASE_URL and as DATABASE_PASSWORD(_FILE): set only one',
    ]);
  });

  it('names the variable and the file it cannot read', () => {
    expect(problemsOf({ DATABASE_URL: 'postgresql://db/a', PASSWORD_PEPPER_FILE: path.join(dir, 'missing') })).toEqual([
      `PASSWORD_PEPPER_FILE: cannot read ${path.join(dir, 'missing')} (ENOENT)`,
    ]);
  });

  it('takes SHUTDOWN_DELAY (default 5 s, 0 allowed) and MIGRATION_SAFETY (default warn)', () => {
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/a' }).startup).toMatchObject({ shutdownDelay: 5, migrationSafety: 'warn' });
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/a', SHUTDOWN_DELAY: '0', MIGRATION_SAFETY: 'strict' }).startup).toMatchObject({
      shutdownDelay: 0,
      migrationSafety: 'strict',
    });
    expect(problemsOf({ DATABASE_URL: 'postgresql://db/a', MIGRATION_SAFETY: 'maybe' })).toEqual(['MIGRATION_SAFETY: must be strict, warn or off']);
  });
});
