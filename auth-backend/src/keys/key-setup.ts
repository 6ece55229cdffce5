import type pg from 'pg';
import type { Config } from '../config/config';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { SharedSecretKey, type TokenKeys } from './token-keys';
import { KeyEncryption } from '../crypto/key-encryption';
import { KeyStore } from './key-store';
import { KeyRing } from './key-ring';
import type { KeyPolicy } from './key-rotation';

export function keyPolicy(config: Config): KeyPolicy {
  if (config.keys.algorithm === 'HS256') throw new Error('JWT_ALGORITHM is HS256: access tokens are signed with JWT_SECRET, there are no stored keys');
  return {
    algorithm: config.keys.algorithm,
    ttlSeconds: config.jwt.accessTokenTtl,
    refreshIntervalSeconds: config.keys.refreshInterval,
    jwksMaxAgeSeconds: config.keys.jwksMaxAge,
  };
}

export const keyStore = (config: Config, pool: pg.Pool) => new KeyStore(pool, new KeyEncryption(config.keys));

/** The shared secret with HS256; with ES256/RS256 the key ring (also a Worker: the refresher). */
export function tokenKeys(config: Config, pool: pg.Pool, clock: Clock, logger: Logger): { keys: TokenKeys; ring: KeyRing | undefined } {
  if (config.keys.algorithm === 'HS256') return { keys: new SharedSecretKey(config.jwt.secret), ring: undefined };
  const ring = new KeyRing(keyStore(config, pool), new KeyEncryption(config.keys), keyPolicy(config), clock, logger);
  return { keys: ring, ring };
}
