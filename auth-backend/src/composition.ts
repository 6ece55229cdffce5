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
import { UserRepository } from './users/user-repository';
import type { Logger } from './logger';
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
  /** For workers' own lines (the signing-key refresher); silent when absent. */
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
  const policy = new PasswordPolicy(config.password.minLength);
  const { keys, ring: keyRing } = tokenKeys(config, db.pool, clock, logger);
  const tokens = new AccessTokens({ issuer: config.jwt.issuer, audience: config.jwt.audience, ttlSeconds: config.jwt.accessTokenTtl }, keys);
  const sessionDirectory = new SessionDirectory(db.pool, clock);
  const throttle = new LoginThrottle(db.pool, config.throttle);
  const auth = new AuthService({ users, sessions, hasher, tokens, throttle, policy });
  const lifecycle = new Lifecycle();
  if (keyRing) lifecycle.add(keyRing);
  return {
    services: { users, sessions, hasher, policy, tokens, throttle, auth, keyRing, sessionDirectory },
    endpoints: [
      ...healthEndpoints(checkReadiness),
      ...authEndpoints(auth, throttle),
      ...sessionEndpoints(sessionDirectory),
      ...jwksEndpoints(keyRing, config.keys.jwksMaxAge),
    ],
    lifecycle,
  };
}
