/**
 * The composition root: builds every service once, the endpoints that expose them, and the
 * lifecycle of the long-lived workers. createApp mounts the endpoints; the entrypoint runs the
 * lifecycle; tests reach the services directly.
 */
import type { Config } from './config/config';
import type { Database } from './db/database';
import type { Clock } from './clock';
import type { AnyEndpoint } from './http/endpoint';
import type { Readiness } from './health/readiness';
import pino from 'pino';
import { Lifecycle } from './lifecycle';
import { healthEndpoints } from './health/health-endpoints';
import { authEndpoints } from './auth/auth-endpoints';
import { AuthService } from './auth/auth-service';
import { PasswordHasher } from './auth/password-hasher';
import { AccessTokens } from './auth/access-tokens';
import { SessionStore } from './auth/session-store';
import { LoginThrottle } from './auth/login-throttle';
import { PasswordPolicy } from './auth/password-policy';
import { normalizingHasher } from './auth/password-normalization';
import { UserRepository } from './users/user-repository';
import type { Logger } from './logger';
import { MailTemplates } from './mail/templates';
import { MailDeliveryWorker } from './mail/delivery-worker';
import { createMailTransport } from './mail/transport';
import { MailThrottle } from './account/mail-throttle';
import { RecoveryService } from './account/recovery-service';
import { recoveryEndpoints } from './account/recovery-endpoints';
import { tokenKeys } from './keys/key-setup';
import type { KeyRing } from './keys/key-ring';
import { jwksEndpoints } from './keys/jwks-endpoints';
import { SessionDirectory } from './sessions/session-directory';
import { sessionEndpoints } from './sessions/session-endpoints';

const silentLogger = pino({ level: 'silent' });

export interface CompositionDeps {
  config: Config;
  db: Database;
  clock: Clock;
  checkReadiness: () => Promise<Readiness>;
  /** For workers' own lines (the signing-key refresher, mail delivery); silent when absent. */
  logger?: Logger;
}

/** Every service of the process, built once. */
export interface Services {
  users: UserRepository;
  sessions: SessionStore;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  tokens: AccessTokens;
  throttle: LoginThrottle;
  auth: AuthService;
  mailThrottle: MailThrottle;
  recovery: RecoveryService;
  mailDelivery: MailDeliveryWorker;
  /** The ES256/RS256 signing keys; undefined with HS256 (JWT_SECRET). */
  keyRing: KeyRing | undefined;
  sessionDirectory: SessionDirectory;
}

export interface Composition {
  services: Services;
  endpoints: AnyEndpoint[];
  lifecycle: Lifecycle;
}

export function compose({ config, db, clock, checkReadiness, logger = silentLogger }: CompositionDeps): Composition {
  const users = new UserRepository(db.prisma, db.pool);
  const sessions = new SessionStore(db.pool, config.refresh, clock);
  const hasher = new PasswordHasher(config.password.pepper, config.password.bcryptCost, config.password.hashConcurrency);
  // Every password is hashed and verified in its normalised form, wherever it comes from (register, login, change, reset).
  const passwords = normalizingHasher(hasher);
  const policy = new PasswordPolicy(config.password.minLength);
  const { keys, ring: keyRing } = tokenKeys(config, db.pool, clock, logger);
  const tokens = new AccessTokens({ issuer: config.jwt.issuer, audience: config.jwt.audience, ttlSeconds: config.jwt.accessTokenTtl }, keys);
  const sessionDirectory = new SessionDirectory(db.pool, clock);
  const throttle = new LoginThrottle(db.pool, config.throttle);
  // Mail: the outbox's delivery worker, and the recovery/verification use cases that fill the outbox.
  const { mail } = config;
  const mailDelivery = new MailDeliveryWorker({ pool: db.pool, transport: createMailTransport(config), logger, clock, policy: mail });
  const mailThrottle = new MailThrottle(db.pool, mail.throttle);
  const templates = new MailTemplates(mail);
  const ttl = { passwordReset: mail.passwordResetTtl, emailVerification: mail.emailVerificationTtl };
  const recovery = new RecoveryService({
    pool: db.pool,
    users,
    hasher: passwords,
    policy,
    sessions,
    loginThrottle: throttle,
    mailThrottle,
    templates,
    clock,
    ttl,
    onMailQueued: () => mailDelivery.wake(),
  });
  const onRegistered = (user: { id: string }, log: Logger) => recovery.sendVerification(user, log);
  const auth = new AuthService({ users, sessions, hasher: passwords, tokens, throttle, policy, onRegistered, requireVerifiedEmail: mail.requireVerifiedEmail });
  const lifecycle = new Lifecycle();
  // Hashing threads: started first, so stopped last (after every worker that might hash).
  lifecycle.add(hasher);
  if (keyRing) lifecycle.add(keyRing);
  lifecycle.add(mailDelivery);
  return {
    services: { users, sessions, hasher, policy, tokens, throttle, auth, mailThrottle, recovery, mailDelivery, keyRing, sessionDirectory },
    endpoints: [
      ...healthEndpoints(checkReadiness),
      ...authEndpoints(auth, throttle),
      ...recoveryEndpoints(recovery, mailThrottle),
      ...sessionEndpoints(sessionDirectory),
      ...jwksEndpoints(keyRing, config.keys.jwksMaxAge),
    ],
    lifecycle,
  };
}
