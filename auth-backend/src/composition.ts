/** Wires the services behind the endpoints; createApp mounts them, the OpenAPI document lists them. */
import type { Config } from './config/config';
import type { Database } from './db/database';
import type { Clock } from './clock';
import type { AnyEndpoint } from './http/endpoint';
import type { Readiness } from './health/readiness';
import { healthEndpoints } from './health/health-endpoints';
import { authEndpoints } from './auth/auth-endpoints';
import { AuthService } from './auth/auth-service';
import { PasswordHasher } from './auth/password-hasher';
import { AccessTokens } from './auth/access-tokens';
import { SessionStore } from './auth/session-store';
import { LoginThrottle } from './auth/login-throttle';
import { preloadCommonPasswords } from './auth/password-policy';
import { UserRepository } from './users/user-repository';

export interface CompositionDeps {
  config: Config;
  db: Database;
  clock: Clock;
  checkReadiness: () => Promise<Readiness>;
}

export function buildEndpoints({ config, db, clock, checkReadiness }: CompositionDeps): AnyEndpoint[] {
  preloadCommonPasswords();
  const throttle = new LoginThrottle(db.pool, config.throttle);
  const auth = new AuthService({
    users: new UserRepository(db.prisma, db.pool),
    sessions: new SessionStore(db.pool, config.refresh, clock),
    hasher: new PasswordHasher(config.password.pepper, config.password.bcryptCost, config.password.hashConcurrency),
    tokens: new AccessTokens({ ...config.jwt, ttlSeconds: config.jwt.accessTokenTtl }),
    throttle,
    passwordMinLength: config.password.minLength,
  });
  return [...healthEndpoints(checkReadiness), ...authEndpoints(auth, throttle)];
}
