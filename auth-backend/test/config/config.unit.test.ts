import fs from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { CONFIG_VARIABLES, ConfigError, EXAMPLE_JWT_SECRET, EXAMPLE_KEY_ENCRYPTION_KEY, loadConfig } from '../../src/config/config';

const base = { DATABASE_URL: 'postgresql://localhost/auth_service' };
const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      env: 'development',
      http: { port: 3000, trustProxy: undefined, corsOrigins: [] },
      jwt: { issuer: 'auth-backend', audience: 'auth-backend', accessTokenTtl: 900, secretIsEphemeral: true },
      refresh: { ttl: 30 * 86400, idleTtl: 7 * 86400, reuseInterval: 0 },
      password: { bcryptCost: 12, minLength: 8 },
      startup: { dbWaitTimeout: 60, backupBeforeMigrate: false },
    });
    expect(Object.isFrozen(config.jwt)).toBe(true);
    // One hashing thread per CPU: login uses every core (the threads run at nice 19).
    expect(config.password.hashConcurrency).toBe(availableParallelism());
  });

  it('parses durations, hop counts, subnet lists and origins', () => {
    const config = loadConfig({
      ...base,
      ACCESS_TOKEN_TTL: '5m',
      REFRESH_TOKEN_TTL: '12h',
      TRUST_PROXY: '1',
      CORS_ORIGINS: 'https://a.example, https://b.example:8443',
    });
    expect(config.jwt.accessTokenTtl).toBe(300);
    expect(config.refresh.ttl).toBe(43200);
    expect(config.http.trustProxy).toBe(1);
    expect(config.http.corsOrigins).toEqual(['https://a.example', 'https://b.example:8443']);
    expect(loadConfig({ ...base, TRUST_PROXY: 'loopback, 10.0.0.0/8' }).http.trustProxy).toEqual(['loopback', '10.0.0.0/8']);
  });

  it.each([
    [{ TRUST_PROXY: 'true' }, /^TRUST_PROXY: must be a hop count/],
    [{ BCRYPT_COST: '9' }, /^BCRYPT_COST: must be a whole number from 10 to 15$/],
    [{ PASSWORD_MIN_LENGTH: '16' }, /^PASSWORD_MIN_LENGTH: must be a whole number from 8 to 15$/],
    [{ ACCESS_TOKEN_TTL: 'soon' }, /^ACCESS_TOKEN_TTL: expected seconds or a duration/],
    [{ CORS_ORIGINS: '*' }, /^CORS_ORIGINS: "\*" is not an origin/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: /],
  ])('reports %j clearly', (env, pattern) => {
    expect(problemsOf({ ...base, ...env })).toEqual([expect.stringMatching(pattern)]);
  });

  it('requires strong, non-example secrets in production, one line each', () => {
    expect(problemsOf({ ...base, NODE_ENV: 'production' })).toEqual([
      'JWT_SECRET: is required in production',
      'PASSWORD_PEPPER: is required in production',
      'KEY_ENCRYPTION_KEY: is required in production',
    ]);
    const problems = problemsOf({
      ...base,
      NODE_ENV: 'production',
      JWT_SECRET: EXAMPLE_JWT_SECRET,
      PASSWORD_PEPPER: 'short',
      KEY_ENCRYPTION_KEY: EXAMPLE_KEY_ENCRYPTION_KEY,
    });
    expect(problems).toEqual([
      expect.stringMatching(/^JWT_SECRET: is the example value/),
      'PASSWORD_PEPPER: must be at least 32 bytes',
      expect.stringMatching(/^KEY_ENCRYPTION_KEY: is the example value/),
    ]);
    expect(
      problemsOf({ ...base, NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), PASSWORD_PEPPER: 'y'.repeat(32), KEY_ENCRYPTION_KEY: 'z'.repeat(32) }),
    ).toEqual([]);
  });

  it('requires KEY_ENCRYPTION_KEY in production whatever JWT_ALGORITHM (v3: it seals TOTP secrets too), and has a default elsewhere', () => {
    const production = { ...base, NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), PASSWORD_PEPPER: 'y'.repeat(32) };
    for (const JWT_ALGORITHM of ['HS256', 'ES256', 'RS256']) {
      expect(problemsOf({ ...production, JWT_ALGORITHM })).toEqual(['KEY_ENCRYPTION_KEY: is required in production']);
    }
    expect(loadConfig({ ...base, NODE_ENV: 'development' }).keys.encryptionKey.length).toBeGreaterThanOrEqual(32);
  });

  it('backs up before migrating by default in production only', () => {
    const production = loadConfig({
      ...base,
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(32),
      PASSWORD_PEPPER: 'y'.repeat(32),
      KEY_ENCRYPTION_KEY: 'z'.repeat(32),
    });
    expect(production.startup.backupBeforeMigrate).toBe(true);
    expect(
      loadConfig({
        ...base,
        NODE_ENV: 'production',
        JWT_SECRET: 'x'.repeat(32),
        PASSWORD_PEPPER: 'y'.repeat(32),
        KEY_ENCRYPTION_KEY: 'z'.repeat(32),
        BACKUP_BEFORE_MIGRATE: 'false',
      }).startup.backupBeforeMigrate,
    ).toBe(false);
  });

  it('applies the mail defaults and parses millisecond delays', () => {
    expect(loadConfig(base).mail).toMatchObject({
      smtpUrl: undefined,
      from: 'no-reply@localhost',
      appUrl: 'http://localhost:3000',
      passwordResetTtl: 1800,
      emailVerificationTtl: 86400,
      requireVerifiedEmail: false,
      pollIntervalMs: 2000,
      maxAttempts: 5,
    });
    const mail = loadConfig({ ...base, APP_URL: 'https://app.example.com/', MAIL_RETRY_BASE_DELAY: '250ms', REQUIRE_VERIFIED_EMAIL: 'true' }).mail;
    expect(mail).toMatchObject({ appUrl: 'https://app.example.com', retryBaseDelayMs: 250, requireVerifiedEmail: true });
  });

  it.each([
    [{ SMTP_URL: 'http://mail.example.com' }, /^SMTP_URL: must be smtp:\/\//],
    [{ APP_URL: 'app.example.com' }, /^APP_URL: must be an http/],
    [{ MAIL_FROM: 'nobody' }, /^MAIL_FROM: must be an address/],
    [{ MAIL_POLL_INTERVAL: 'often' }, /^MAIL_POLL_INTERVAL: expected milliseconds/],
  ])('reports mail setting %j clearly', (env, pattern) => {
    expect(problemsOf({ ...base, ...env })).toEqual([expect.stringMatching(pattern)]);
  });

  it('starts in production without SMTP_URL, but needs MAIL_FROM and APP_URL once it is set', () => {
    const production = { ...base, NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), PASSWORD_PEPPER: 'y'.repeat(32), KEY_ENCRYPTION_KEY: 'z'.repeat(32) };
    expect(problemsOf(production)).toEqual([]);
    expect(problemsOf({ ...production, SMTP_URL: 'smtp://mail.example.com:587' })).toEqual([
      'MAIL_FROM: is required in production when SMTP_URL is set',
      'APP_URL: is required in production when SMTP_URL is set',
    ]);
    expect(
      problemsOf({ ...production, SMTP_URL: 'smtp://mail.example.com:587', MAIL_FROM: 'no-reply@example.com', APP_URL: 'https://app.example.com' }),
    ).toEqual([]);
  });

  it('has every variable documented in .env.example', () => {
    const example = fs.readFileSync(path.resolve(__dirname, '../../../.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]));
    expect(CONFIG_VARIABLES.filter((name) => !documented.has(name))).toEqual([]);
  });
});
