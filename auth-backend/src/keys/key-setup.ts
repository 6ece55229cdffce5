import type pg from 'pg';
import type { Config } from '../config/config';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { SharedSecretKey, type TokenKeys } from './token-keys';
import { KeyEncryption } from '../crypto/key-encryption';
import { KeyStore } from './key-store';
import { KeyRing } from './key-ring';
import type { KeyPolicy } from './key-rotation';
import type { AsymmetricAlgorithm } from './signing-key';

/**
 * The key ring's algorithm: JWT_ALGORITHM's when it is asymmetric. With HS256 the access tokens of
 * the JSON API are signed with JWT_SECRET, and the ring (ES256) still signs what the OpenID Provider
 * issues (ID tokens, JWT access tokens for APIs) and is what /.well-known/jwks.json publishes.
 */
export const ringAlgorithm = (config: Config): AsymmetricAlgorithm => (config.keys.algorithm === 'HS256' ? 'ES256' : config.keys.algorithm);

export function keyPolicy(config: Config): KeyPolicy {
  return {
    algorithm: ringAlgorithm(config),
    ttlSeconds: config.jwt.accessTokenTtl,
    refreshIntervalSeconds: config.keys.refreshInterval,
    jwksMaxAgeSeconds: config.keys.jwksMaxAge,
  };
}

export const keyStore = (config: Config, pool: pg.Pool) => new KeyStore(pool, new KeyEncryption(config.keys));

/**
 * The key ring (also a Worker: the refresher), in every mode; and the keys of the JSON API's access
 * tokens: the shared secret with HS256, the ring with ES256/RS256.
 */
export function tokenKeys(config: Config, pool: pg.Pool, clock: Clock, logger: Logger): { keys: TokenKeys; ring: KeyRing } {
  const ring = new KeyRing(keyStore(config, pool), new KeyEncryption(config.keys), keyPolicy(config), clock, logger);
  return { keys: config.keys.algorithm === 'HS256' ? new SharedSecretKey(config.jwt.secret) : ring, ring };
}
