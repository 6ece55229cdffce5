/**
 * The changes an operator (keys-cli.ts) or a starting replica (key-ring.ts) makes to the set of
 * signing keys. Each runs under the signing-key lock, on the rows as they are at that moment.
 */
import type { KeyStore, StoredKey } from './key-store';
import { scheduleKeys } from './key-schedule';
import type { AsymmetricAlgorithm } from './signing-key';

export interface KeyPolicy {
  algorithm: AsymmetricAlgorithm;
  /** Access-token lifetime: how long a superseded key keeps verifying (plus the margin). */
  ttlSeconds: number;
  /** How often every replica re-reads the keys; also the retirement margin. */
  refreshIntervalSeconds: number;
  /** Cache-Control max-age of the JWKS. */
  jwksMaxAgeSeconds: number;
}

/**
 * A rotated key is published at once but signs only after every replica has re-read the table
 * (one refresh interval) and every verifier that cached the JWKS has fetched it again (max-age).
 */
export const activationDelaySeconds = (policy: KeyPolicy) => policy.refreshIntervalSeconds + policy.jwksMaxAgeSeconds;
export const retention = (policy: KeyPolicy) => ({ ttlSeconds: policy.ttlSeconds, marginSeconds: policy.refreshIntervalSeconds });

const addSeconds = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);

/** Creates a key that signs at once when none can sign (first start, all revoked) or the algorithm changed. */
export function ensureSigningKey(store: KeyStore, policy: KeyPolicy, now: Date, options: { algorithmMustMatch: boolean }): Promise<StoredKey | undefined> {
  return store.change(async (client, keys) => {
    const { signing } = scheduleKeys(keys, now, retention(policy));
    if (signing && (!options.algorithmMustMatch || signing.algorithm === policy.algorithm)) return undefined;
    return store.insert(client, policy.algorithm, now, now);
  });
}

export interface RotationResult {
  created: StoredKey;
  previous: StoredKey | undefined;
  revoked: StoredKey | undefined;
}

/**
 * Adds a new key. Normally it signs after the activation delay while the current key keeps
 * signing meanwhile; with `revokeCurrent` (a leaked key) the current key is refused at once and
 * the new one signs at once.
 */
export function rotateKeys(store: KeyStore, policy: KeyPolicy, now: Date, options: { revokeCurrent: boolean }): Promise<RotationResult> {
  return store.change(async (client, keys) => {
    const { signing } = scheduleKeys(keys, now, retention(policy));
    if (options.revokeCurrent && signing) await store.revoke(client, signing.kid, now);
    const activatesAt = options.revokeCurrent || !signing ? now : addSeconds(now, activationDelaySeconds(policy));
    const created = await store.insert(client, policy.algorithm, activatesAt, now);
    return { created, previous: options.revokeCurrent ? undefined : signing, revoked: options.revokeCurrent ? signing : undefined };
  });
}

export type RevokeResult = { kind: 'unknown' } | { kind: 'revoked'; replacement: StoredKey | undefined };

/**
 * Revokes one key. When it was the signing key, a new key signs at once: an older key never
 * takes over again (it may be retired, or be the next one to leak).
 */
export function revokeKey(store: KeyStore, policy: KeyPolicy, kid: string, now: Date): Promise<RevokeResult> {
  return store.change(async (client, keys) => {
    const before = scheduleKeys(keys, now, retention(policy)).signing;
    if (!(await store.revoke(client, kid, now))) return { kind: 'unknown' };
    const after = scheduleKeys(
      keys.map((key) => (key.kid === kid ? { ...key, revokedAt: now } : key)),
      now,
      retention(policy),
    ).signing;
    const replacement = !after || after.kid !== before?.kid ? await store.insert(client, policy.algorithm, now, now) : undefined;
    return { kind: 'revoked', replacement };
  });
}
