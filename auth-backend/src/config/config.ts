/**
 * Configuration: parsed and validated once at start-up from the environment, typed and frozen.
 * Every variable is documented in .env.example; a bad value stops the process with one line
 * per problem (see formatConfigErrors).
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { parseDurationSeconds } from './duration';
import { resolveFileSecrets } from './file-secrets';
import { parseOidcProviders, type OidcProviderConfig } from './oidc-providers';
import { parseWebAuthn, type WebAuthnConfig } from './webauthn';
import {
  V4_VARIABLES,
  parseBreachCheckConfig,
  parseNotificationConfig,
  parseWebhookConfig,
  type BreachCheckConfig,
  type NotificationConfig,
  type WebhookConfig,
} from './webhooks';

/** The JWT secret shipped in .env.example: refused in production. */
export const EXAMPLE_JWT_SECRET = 'change-me-to-a-long-random-secret-of-at-least-32-bytes';
/** The pepper shipped in .env.example: refused in production. */
export const EXAMPLE_PASSWORD_PEPPER = 'change-me-to-another-long-random-secret-32-bytes';
/** The key-encryption key shipped in .env.example: refused in production. */
export const EXAMPLE_KEY_ENCRYPTION_KEY = 'change-me-to-a-third-long-random-secret-of-32-bytes';
/** Used outside production when none is set, so that dev signing keys survive restarts. */
const DEVELOPMENT_KEY_ENCRYPTION_KEY = 'development-only-key-encryption-key-never-in-production';
/** Used outside production when no pepper is set, so that dev hashes survive restarts. */
const DEVELOPMENT_PEPPER = 'development-only-pepper-never-use-in-production';

const duration = (fallback: string, min = 1) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const seconds = parseDurationSeconds(text);
      if (seconds === undefined || seconds < min) {
        ctx.addIssue({ code: 'custom', message: `expected seconds or a duration like 15m, 12h, 30d (at least ${min}s), got "${text}"` });
        return z.NEVER;
      }
      return seconds;
    });

const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .default(String(fallback))
    .refine((text) => /^\d+$/.test(text.trim()) && Number(text) >= min && Number(text) <= max, {
      message: `must be a whole number from ${min} to ${max}`,
    })
    .transform(Number);

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value));

const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((value) => ['true', '1', 'yes'].includes(value));

/** `trust proxy`: a hop count or a list of addresses/subnets; never `true` (spoofable). */
const trustProxy = optionalText.transform((value, ctx) => {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  if (/^(true|false)$/i.test(value)) {
    ctx.addIssue({ code: 'custom', message: 'must be a hop count (e.g. 1) or a comma-separated list of subnets, never true/false' });
    return z.NEVER;
  }
  return value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
});

const origins = optionalText.transform((value, ctx) => {
  if (value === undefined) return [];
  const list = value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  for (const origin of list) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      ctx.addIssue({ code: 'custom', message: `"${origin}" is not an origin like https://app.example.com` });
    }
  }
  return list;
});

/** A secret: required and at least 32 bytes in production, and never the example value there. */
const secret = (production: boolean, example: string) =>
  optionalText.superRefine((value, ctx) => {
    if (value === undefined) {
      if (production) ctx.addIssue({ code: 'custom', message: 'is required in production' });
      return;
    }
    if ((production || value === example) && Buffer.byteLength(value) < 32) ctx.addIssue({ code: 'custom', message: 'must be at least 32 bytes' });
    if (production && value === example)
      ctx.addIssue({ code: 'custom', message: 'is the example value from .env.example: generate your own (openssl rand -base64 48)' });
  });

/** Mail delays may be sub-second (tests): `250ms`, or seconds / `15m` style like other durations. */
const milliseconds = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = /^(\d+)\s*ms$/.exec(text.trim());
      const value = ms ? Number(ms[1]) : (parseDurationSeconds(text) ?? -1) * 1000;
      if (value < 10) {
        ctx.addIssue({ code: 'custom', message: `expected milliseconds like 500ms, or seconds / 15m (at least 10ms), got "${text}"` });
        return z.NEVER;
      }
      return value;
    });

const smtpUrl = optionalText.refine((value) => value === undefined || /^smtps?:\/\/[^/\s]+/.test(value), {
  message: 'must be smtp://user:pass@host:port or smtps://...',
});
const httpUrl = optionalText.refine((value) => value === undefined || /^https?:\/\/[^/\s]+/.test(value), { message: 'must be an http:// or https:// URL' });
const mailbox = optionalText.refine((value) => value === undefined || /^[^\s@<>]+@[^\s@<>]+$|^[^<>]*<[^\s@<>]+@[^\s@<>]+>$/.test(value.trim()), {
  message: 'must be an address like no-reply@example.com or "Name <no-reply@example.com>"',
});

/** Unset: 9464; empty (`METRICS_PORT=`): metrics off; else a port. */
const metricsPort = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined) return 9464;
    if (value.trim() === '') return undefined;
    if (!/^\d+$/.test(value.trim()) || Number(value) > 65535) {
      ctx.addIssue({ code: 'custom', message: 'must be a port from 0 to 65535, or empty to turn metrics off' });
      return z.NEVER;
    }
    return Number(value);
  });

const nodeEnv = z.enum(['production', 'development', 'test']).default('development');
const jwtAlgorithm = z.enum(['HS256', 'ES256', 'RS256'], { error: 'must be HS256, ES256 or RS256' }).default('HS256');

const buildSchema = (production: boolean) =>
  z.object({
    NODE_ENV: nodeEnv,
    DATABASE_URL: z.string({ error: 'is required: a PostgreSQL connection string' }).regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// connection string'),
    PORT: integer(3000, 0, 65535),
    HOST: z.string().default('0.0.0.0'),
    JWT_SECRET: secret(production, EXAMPLE_JWT_SECRET),
    JWT_ISSUER: z.string().min(1).default('auth-backend'),
    JWT_AUDIENCE: z.string().min(1).default('auth-backend'),
    ACCESS_TOKEN_TTL: duration('15m'),
    REFRESH_TOKEN_TTL: duration('30d'),
    REFRESH_TOKEN_IDLE_TTL: duration('7d'),
    REFRESH_REUSE_INTERVAL: duration('0', 0),
    BCRYPT_COST: integer(12, 10, 15),
    PASSWORD_PEPPER: secret(production, EXAMPLE_PASSWORD_PEPPER),
    PASSWORD_MIN_LENGTH: integer(8, 8, 15),
    PASSWORD_HASH_CONCURRENCY: integer(availableParallelism(), 1, 64),
    TRUST_PROXY: trustProxy,
    CORS_ORIGINS: origins,
    DB_WAIT_TIMEOUT: duration('60', 1),
    // Seconds a request waits for the new primary (failover, switchover) before retrying once; 0: never.
    DB_RETRY_WAIT: duration('5', 0),
    MIGRATION_LOCK_TIMEOUT: duration('120', 1),
    SHUTDOWN_TIMEOUT: duration('10', 1),
    // Seconds a replica keeps serving after SIGTERM with /ready at 503, before it drains (load balancers).
    SHUTDOWN_DELAY: duration('5', 0),
    MIGRATION_SAFETY: z.enum(['strict', 'warn', 'off'], { error: 'must be strict, warn or off' }).default('warn'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_PRETTY: flag(false),
    THROTTLE_IP_MAX: integer(30, 1, 100_000),
    THROTTLE_IP_WINDOW: duration('15m'),
    THROTTLE_ACCOUNT_FREE_FAILURES: integer(5, 1, 99),
    THROTTLE_ACCOUNT_MAX_DELAY: duration('15m'),
    BACKUP_BEFORE_MIGRATE: flag(false),
    BACKUP_DIR: z.string().default('backups'),
    // Slow clients (no reverse proxy in front): see docs/operations.md.
    HTTP_REQUEST_TIMEOUT: duration('30'),
    HTTP_HEADERS_TIMEOUT: duration('10'),
    HTTP_KEEPALIVE_TIMEOUT: duration('5'),
    // Mail (email verification and account recovery)
    SMTP_URL: smtpUrl,
    MAIL_FROM: mailbox,
    APP_URL: httpUrl,
    MAIL_PRODUCT_NAME: z.string().trim().min(1).max(100).default('Auth Backend'),
    MAIL_DIR: z.string().default('.data/mail'),
    PASSWORD_RESET_TTL: duration('30m', 60),
    EMAIL_VERIFICATION_TTL: duration('24h', 60),
    REQUIRE_VERIFIED_EMAIL: flag(false),
    MAIL_POLL_INTERVAL: milliseconds('2s'),
    MAIL_RETRY_BASE_DELAY: milliseconds('10s'),
    MAIL_RETRY_MAX_DELAY: milliseconds('15m'),
    MAIL_MAX_ATTEMPTS: integer(5, 1, 100),
    THROTTLE_MAIL_IP_MAX: integer(10, 1, 100_000),
    THROTTLE_MAIL_IP_WINDOW: duration('15m'),
    THROTTLE_MAIL_ADDRESS_MAX: integer(3, 1, 100_000),
    THROTTLE_MAIL_ADDRESS_WINDOW: duration('1h'),
    JWT_ALGORITHM: jwtAlgorithm,
    // v3: required in production whatever JWT_ALGORITHM: it also seals TOTP secrets (mfa/).
    KEY_ENCRYPTION_KEY: secret(production, EXAMPLE_KEY_ENCRYPTION_KEY),
    // The value KEY_ENCRYPTION_KEY had, while it changes: opens what it sealed (npm run secrets:reseal).
    KEY_ENCRYPTION_KEY_PREVIOUS: optionalText.refine((value) => value === undefined || !production || Buffer.byteLength(value) >= 32, {
      message: 'must be at least 32 bytes',
    }),
    KEY_REFRESH_INTERVAL: duration('60'),
    JWKS_MAX_AGE: duration('5m', 0),
    // Sign in with an OpenID Connect provider (each provider's OIDC_<ID>_* variables: oidc-providers.ts).
    OIDC_PROVIDERS: optionalText,
    PUBLIC_URL: httpUrl,
    REDIRECT_ALLOWLIST: origins,
    // Administration, audit log and metrics (v3)
    ADMIN_REQUIRE_MFA: flag(true),
    AUDIT_RETENTION: duration('90d', 3600),
    AUDIT_PRUNE_INTERVAL: duration('1h', 1),
    METRICS_PORT: metricsPort,
    METRICS_HOST: z.string().trim().min(1).default('0.0.0.0'),
    // Passkeys (v4): the WebAuthn relying party (config/webauthn.ts).
    WEBAUTHN_RP_ID: optionalText,
    WEBAUTHN_RP_NAME: z.string().trim().min(1).max(100).default('auth-backend'),
    WEBAUTHN_ORIGINS: origins,
  });

type Env = z.infer<ReturnType<typeof buildSchema>>;

/** Every environment variable the service reads (documented in .env.example). */
export const CONFIG_VARIABLES = [...Object.keys(buildSchema(false).shape), ...V4_VARIABLES];

export interface Config {
  readonly env: Env['NODE_ENV'];
  readonly databaseUrl: string;
  /** Seconds a failed call that is safe to run again waits for a new primary (src/db/retry-rule.ts); 0: no retry. */
  readonly databaseRetryWait: number;
  readonly http: {
    readonly port: number;
    readonly host: string;
    readonly trustProxy: number | string[] | undefined;
    readonly corsOrigins: readonly string[];
    /** Seconds: whole request, headers alone, idle keep-alive connection. */
    readonly timeouts: { readonly request: number; readonly headers: number; readonly keepAlive: number };
  };
  readonly jwt: {
    readonly secret: string;
    readonly secretIsEphemeral: boolean;
    readonly issuer: string;
    readonly audience: string;
    readonly accessTokenTtl: number;
  };
  readonly refresh: { readonly ttl: number; readonly idleTtl: number; readonly reuseInterval: number };
  readonly password: { readonly bcryptCost: number; readonly pepper: string; readonly minLength: number; readonly hashConcurrency: number };
  readonly throttle: {
    readonly ipMax: number;
    readonly ipWindow: number;
    readonly accountFreeFailures: number;
    readonly accountMaxDelay: number;
  };
  readonly startup: {
    readonly dbWaitTimeout: number;
    readonly migrationLockTimeout: number;
    readonly shutdownTimeout: number;
    /** Seconds between SIGTERM (readiness 503) and the drain. */
    readonly shutdownDelay: number;
    /** What the entrypoint does with pending migrations the safety check refuses (db:check-migrations). */
    readonly migrationSafety: Env['MIGRATION_SAFETY'];
    readonly backupBeforeMigrate: boolean;
    readonly backupDir: string;
  };
  readonly log: { readonly level: Env['LOG_LEVEL']; readonly pretty: boolean };
  readonly mail: {
    /** undefined: development writes .eml files to `dir`; production and test keep mail in the outbox. */
    readonly smtpUrl: string | undefined;
    readonly from: string;
    readonly appUrl: string;
    readonly productName: string;
    readonly dir: string;
    readonly passwordResetTtl: number;
    readonly emailVerificationTtl: number;
    readonly requireVerifiedEmail: boolean;
    readonly pollIntervalMs: number;
    readonly retryBaseDelayMs: number;
    readonly retryMaxDelayMs: number;
    readonly maxAttempts: number;
    readonly throttle: { readonly ipMax: number; readonly ipWindow: number; readonly addressMax: number; readonly addressWindow: number };
  };
  /** Signing keys of access tokens (ES256/RS256; HS256 uses jwt.secret). */
  readonly keys: {
    readonly algorithm: Env['JWT_ALGORITHM'];
    readonly encryptionKey: string;
    /** KEY_ENCRYPTION_KEY_PREVIOUS: opens, never seals (crypto/key-encryption.ts). */
    readonly previousEncryptionKey: string | undefined;
    readonly refreshInterval: number;
    readonly jwksMaxAge: number;
  };
  /** Sign in with an OpenID Connect provider. */
  readonly oidc: {
    readonly providers: readonly OidcProviderConfig[];
    /**
     * The service's external base URL, without a trailing slash: callbacks are
     * PUBLIC_URL/auth/oidc/<id>/callback, and (v4) it is the OpenID Provider's issuer, exactly.
     */
    readonly publicUrl: string;
    /** Origins a browser may be sent back to after a sign-in (REDIRECT_ALLOWLIST, default APP_URL's origin). */
    readonly redirectOrigins: readonly string[];
  };
  readonly admin: {
    /** Admin calls need a token of a sign-in with a second factor (amr otp or mfa). */
    readonly requireMfa: boolean;
  };
  /** Seconds an audit event is kept, and between two prunings. */
  readonly audit: { readonly retention: number; readonly pruneInterval: number };
  /** The Prometheus endpoint's own server; port undefined: off. */
  readonly metrics: { readonly port: number | undefined; readonly host: string };
  /** Passkeys: the WebAuthn relying party. */
  readonly webauthn: WebAuthnConfig;
  /** v4 (config/webhooks.ts): webhooks, security notifications, the breached-password check. */
  readonly webhooks: WebhookConfig;
  readonly notifications: NotificationConfig;
  readonly breachCheck: BreachCheckConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((line) => `  ${line}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once; throws ConfigError with one line per bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env, randomSecret: () => string = defaultRandomSecret): Config {
  const production = nodeEnv.safeParse(source.NODE_ENV).data === 'production';
  const fileProblems: string[] = [];
  const resolved = resolveFileSecrets(source, fileProblems);
  if (fileProblems.length > 0) throw new ConfigError(fileProblems);
  const parsed = buildSchema(production).safeParse(resolved);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`));
  }
  const env = parsed.data;
  if (env.HTTP_HEADERS_TIMEOUT > env.HTTP_REQUEST_TIMEOUT) {
    throw new ConfigError([`HTTP_HEADERS_TIMEOUT: must not exceed HTTP_REQUEST_TIMEOUT (${env.HTTP_REQUEST_TIMEOUT}s), got ${env.HTTP_HEADERS_TIMEOUT}s`]);
  }
  if (env.KEY_ENCRYPTION_KEY_PREVIOUS !== undefined && (env.KEY_ENCRYPTION_KEY === undefined || env.KEY_ENCRYPTION_KEY === env.KEY_ENCRYPTION_KEY_PREVIOUS)) {
    throw new ConfigError([
      `KEY_ENCRYPTION_KEY_PREVIOUS: ${env.KEY_ENCRYPTION_KEY === undefined ? 'is set but KEY_ENCRYPTION_KEY is not' : 'is the same as KEY_ENCRYPTION_KEY'}: it holds the old value while KEY_ENCRYPTION_KEY holds the new one`,
    ]);
  }
  const mailProblems = production && env.SMTP_URL ? ['MAIL_FROM', 'APP_URL'].filter((name) => env[name as 'MAIL_FROM' | 'APP_URL'] === undefined) : [];
  if (mailProblems.length > 0) throw new ConfigError(mailProblems.map((name) => `${name}: is required in production when SMTP_URL is set`));
  const oidcProblems: string[] = [];
  const oidcProviders = parseOidcProviders(source, production, oidcProblems);
  if (production && oidcProviders.length > 0 && env.PUBLIC_URL === undefined)
    oidcProblems.push('PUBLIC_URL: is required in production when OIDC_PROVIDERS is set');
  if (oidcProblems.length > 0) throw new ConfigError(oidcProblems);
  const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, '');
  const issuerProblem = publicUrlProblem(publicUrl);
  if (issuerProblem) throw new ConfigError([`PUBLIC_URL: ${issuerProblem}`]);
  const appUrl = (env.APP_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
  const webauthnProblems: string[] = [];
  const webauthn = parseWebAuthn(
    { rpId: env.WEBAUTHN_RP_ID, rpName: env.WEBAUTHN_RP_NAME, origins: env.WEBAUTHN_ORIGINS },
    { publicUrl, appUrl },
    webauthnProblems,
  );
  if (webauthnProblems.length > 0) throw new ConfigError(webauthnProblems);
  const v4Problems: string[] = [];
  const v4 = {
    webhooks: parseWebhookConfig(source, v4Problems),
    notifications: parseNotificationConfig(source, v4Problems),
    breachCheck: parseBreachCheckConfig(source, v4Problems),
  };
  if (v4Problems.length > 0) throw new ConfigError(v4Problems);
  const jwtSecret = env.JWT_SECRET ?? randomSecret();
  return deepFreeze({
    env: env.NODE_ENV,
    databaseUrl: env.DATABASE_URL,
    databaseRetryWait: env.DB_RETRY_WAIT,
    http: {
      port: env.PORT,
      host: env.HOST,
      trustProxy: env.TRUST_PROXY,
      corsOrigins: env.CORS_ORIGINS,
      timeouts: { request: env.HTTP_REQUEST_TIMEOUT, headers: env.HTTP_HEADERS_TIMEOUT, keepAlive: env.HTTP_KEEPALIVE_TIMEOUT },
    },
    jwt: {
      secret: jwtSecret,
      secretIsEphemeral: env.JWT_SECRET === undefined,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      accessTokenTtl: env.ACCESS_TOKEN_TTL,
    },
    refresh: { ttl: env.REFRESH_TOKEN_TTL, idleTtl: Math.min(env.REFRESH_TOKEN_IDLE_TTL, env.REFRESH_TOKEN_TTL), reuseInterval: env.REFRESH_REUSE_INTERVAL },
    password: {
      bcryptCost: env.BCRYPT_COST,
      pepper: env.PASSWORD_PEPPER ?? DEVELOPMENT_PEPPER,
      minLength: env.PASSWORD_MIN_LENGTH,
      hashConcurrency: env.PASSWORD_HASH_CONCURRENCY,
    },
    throttle: {
      ipMax: env.THROTTLE_IP_MAX,
      ipWindow: env.THROTTLE_IP_WINDOW,
      accountFreeFailures: env.THROTTLE_ACCOUNT_FREE_FAILURES,
      accountMaxDelay: env.THROTTLE_ACCOUNT_MAX_DELAY,
    },
    startup: {
      dbWaitTimeout: env.DB_WAIT_TIMEOUT,
      migrationLockTimeout: env.MIGRATION_LOCK_TIMEOUT,
      shutdownTimeout: env.SHUTDOWN_TIMEOUT,
      shutdownDelay: env.SHUTDOWN_DELAY,
      migrationSafety: env.MIGRATION_SAFETY,
      backupBeforeMigrate: source.BACKUP_BEFORE_MIGRATE === undefined ? env.NODE_ENV === 'production' : env.BACKUP_BEFORE_MIGRATE,
      backupDir: env.BACKUP_DIR,
    },
    log: { level: env.LOG_LEVEL, pretty: env.LOG_PRETTY },
    mail: {
      smtpUrl: env.SMTP_URL,
      from: env.MAIL_FROM ?? 'no-reply@localhost',
      appUrl,
      productName: env.MAIL_PRODUCT_NAME,
      dir: env.MAIL_DIR,
      passwordResetTtl: env.PASSWORD_RESET_TTL,
      emailVerificationTtl: env.EMAIL_VERIFICATION_TTL,
      requireVerifiedEmail: env.REQUIRE_VERIFIED_EMAIL,
      pollIntervalMs: env.MAIL_POLL_INTERVAL,
      retryBaseDelayMs: env.MAIL_RETRY_BASE_DELAY,
      retryMaxDelayMs: Math.max(env.MAIL_RETRY_MAX_DELAY, env.MAIL_RETRY_BASE_DELAY),
      maxAttempts: env.MAIL_MAX_ATTEMPTS,
      throttle: {
        ipMax: env.THROTTLE_MAIL_IP_MAX,
        ipWindow: env.THROTTLE_MAIL_IP_WINDOW,
        addressMax: env.THROTTLE_MAIL_ADDRESS_MAX,
        addressWindow: env.THROTTLE_MAIL_ADDRESS_WINDOW,
      },
    },
    keys: {
      algorithm: env.JWT_ALGORITHM,
      encryptionKey: env.KEY_ENCRYPTION_KEY ?? DEVELOPMENT_KEY_ENCRYPTION_KEY,
      previousEncryptionKey: env.KEY_ENCRYPTION_KEY_PREVIOUS,
      refreshInterval: env.KEY_REFRESH_INTERVAL,
      jwksMaxAge: env.JWKS_MAX_AGE,
    },
    oidc: {
      providers: oidcProviders,
      publicUrl,
      redirectOrigins: env.REDIRECT_ALLOWLIST.length > 0 ? env.REDIRECT_ALLOWLIST.map((origin) => new URL(origin).origin) : [new URL(appUrl).origin],
    },
    admin: { requireMfa: source.ADMIN_REQUIRE_MFA === undefined ? env.NODE_ENV === 'production' : env.ADMIN_REQUIRE_MFA },
    audit: { retention: env.AUDIT_RETENTION, pruneInterval: env.AUDIT_PRUNE_INTERVAL },
    metrics: { port: env.METRICS_PORT, host: env.METRICS_HOST },
    webauthn,
    ...v4,
  });
}

/**
 * Why PUBLIC_URL cannot be the OpenID Provider's issuer (OpenID Connect Discovery: https, no query
 * or fragment), or undefined: https, or http on a loopback address for development and tests (in
 * any NODE_ENV); an origin, since the provider's endpoints hang off its root.
 */
export function publicUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password)
    return `must be an origin, without a path, query or credentials (got "${value}")`;
  const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    return `must be https, or http on a loopback address such as http://127.0.0.1:3000: it is the OpenID Provider's issuer (got "${value}")`;
  return undefined;
}

function defaultRandomSecret(): string {
  return randomBytes(48).toString('base64');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
