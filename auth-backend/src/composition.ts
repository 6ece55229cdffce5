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

export interface CompositionDeps {
  config: Config;
  db: Database;
  clock: Clock;
  checkReadiness: () => Promise<Readiness>;
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
}

export interface Composition {
  services: Services;
  endpoints: AnyEndpoint[];
  lifecycle: Lifecycle;
}

export function compose({ config, db, clock, checkReadiness }: CompositionDeps): Composition {
  const users = new UserRepository(db.prisma, db.pool);
  const sessions = new SessionStore(db.pool, config.refresh, clock);
  const hasher = new PasswordHasher(config.password.pepper, config.password.bcryptCost, config.password.hashConcurrency);
  const policy = new PasswordPolicy(config.password.minLength);
  const tokens = new AccessTokens({ ...config.jwt, ttlSeconds: config.jwt.accessTokenTtl });
  const throttle = new LoginThrottle(db.pool, config.throttle);
  const auth = new AuthService({ users, sessions, hasher, tokens, throttle, policy });
  const lifecycle = new Lifecycle();
  // Hashing threads: started first, so stopped last (after every worker that might hash).
  lifecycle.add(hasher);
  return {
    services: { users, sessions, hasher, policy, tokens, throttle, auth },
    endpoints: [...healthEndpoints(checkReadiness), ...authEndpoints(auth, throttle)],
    lifecycle,
  };
}
