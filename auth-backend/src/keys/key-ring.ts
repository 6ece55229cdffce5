/**
 * The signing keys of this replica, in memory: a KeyObject per key, made once, and a Map from
 * `kid` to verification key, so signing and verifying never touch the database. As a Worker it
 * re-reads the table every KEY_REFRESH_INTERVAL (that is how replicas agree on a rotation);
 * activations and retirements are instants, applied on time between two reads.
 */
import type { JsonWebKey, KeyObject } from 'node:crypto';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Worker } from '../lifecycle';
import type { TokenKey, TokenKeys } from './token-keys';
import type { KeyEncryption } from '../crypto/key-encryption';
import type { KeyStore, StoredKey } from './key-store';
import { scheduleKeys } from './key-schedule';
import { ensureSigningKey, retention, type KeyPolicy } from './key-rotation';
import { privateKeyObject, publicKeyObject, type AsymmetricAlgorithm } from './signing-key';

export interface Jwk extends JsonWebKey {
  kid: string;
  alg: string;
  use: 'sig';
}

export class KeyRing implements TokenKeys, Worker {
  readonly name = 'signing-key-refresher';
  private rows: StoredKey[] = [];
  private readonly publicKeys = new Map<string, KeyObject>();
  private readonly privateKeys = new Map<string, KeyObject>();
  private verifying = new Map<string, TokenKey>();
  private signing: TokenKey | undefined;
  private signingActivatedAt: Date | undefined;
  private jwkSet: { keys: Jwk[] } = { keys: [] };
  private nextChangeAt = Infinity;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly store: KeyStore,
    private readonly encryption: KeyEncryption,
    private readonly policy: KeyPolicy,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** The first load (creating a key if none of ours can sign), then a re-read every refresh interval. */
  async start(): Promise<void> {
    await this.refresh({ algorithmMustMatch: true });
    this.timer = setInterval(() => {
      this.inFlight ??= this.refresh({ algorithmMustMatch: false })
        .catch((error: unknown) => this.logger.error({ err: error }, 'signing keys: refresh failed, keeping the keys in memory'))
        .finally(() => (this.inFlight = undefined));
    }, this.policy.refreshIntervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /** Re-reads the table now (the timer does this every refresh interval). */
  async refresh(options: { algorithmMustMatch: boolean }): Promise<void> {
    let rows = await this.store.list();
    // Normally one read per interval; the locked write only when nothing (of our algorithm) can sign.
    const { signing } = scheduleKeys(rows, this.clock(), retention(this.policy));
    if (!signing || (options.algorithmMustMatch && signing.algorithm !== this.policy.algorithm)) {
      const created = await ensureSigningKey(this.store, this.policy, this.clock(), options);
      if (created) this.logger.info({ kid: created.kid, algorithm: created.algorithm }, 'signing keys: created a signing key');
      rows = await this.store.list();
    }
    const before = this.signing?.kid;
    this.apply(rows);
    if (this.signing?.kid !== before) this.logger.info({ kid: this.signing?.kid, previous: before }, 'signing keys: signing with a new key');
  }

  /** When the key that signs now became the signing key (metrics: its age); undefined before the first load. */
  signingKeyActivatedAt(): Date | undefined {
    this.follow();
    return this.signingActivatedAt;
  }

  signingKey(): TokenKey {
    this.follow();
    if (!this.signing) throw new Error('no signing key is loaded (the lifecycle loads them at start)');
    return this.signing;
  }

  verificationKey(kid: string | undefined): TokenKey | undefined {
    this.follow();
    return kid === undefined ? undefined : this.verifying.get(kid);
  }

  /** RFC 7517 JWK Set of every key that verifies now: private members are never exported. */
  jwks(): { keys: Jwk[] } {
    this.follow();
    return this.jwkSet;
  }

  /** Applies an activation or retirement that has come due since the last read. */
  private follow(): void {
    if (this.clock().getTime() >= this.nextChangeAt) this.apply(this.rows);
  }

  private apply(rows: StoredKey[]): void {
    const schedule = scheduleKeys(rows, this.clock(), retention(this.policy));
    const verifying = new Map<string, TokenKey>();
    const keys: Jwk[] = [];
    for (const row of schedule.verifying) {
      const algorithm = row.algorithm as AsymmetricAlgorithm;
      verifying.set(row.kid, { kid: row.kid, algorithm, key: this.publicKey(row) });
      const { kty, crv, x, y, n, e } = row.publicJwk;
      keys.push({ kty, ...(crv ? { crv, x, y } : { n, e }), kid: row.kid, alg: algorithm, use: 'sig' });
    }
    const signing = schedule.signing;
    this.signingActivatedAt = signing?.activatesAt;
    this.signing = signing ? { kid: signing.kid, algorithm: signing.algorithm as AsymmetricAlgorithm, key: this.privateKey(signing) } : undefined;
    this.rows = rows;
    this.verifying = verifying;
    this.jwkSet = { keys };
    this.nextChangeAt = schedule.nextChangeAt?.getTime() ?? Infinity;
    for (const kid of this.privateKeys.keys()) if (kid !== signing?.kid && !schedule.verifying.some((row) => row.kid === kid)) this.privateKeys.delete(kid);
  }

  private publicKey(row: StoredKey): KeyObject {
    let key = this.publicKeys.get(row.kid);
    if (!key) this.publicKeys.set(row.kid, (key = publicKeyObject(row.publicJwk)));
    return key;
  }

  /** Decrypted only for the key that signs, once. */
  private privateKey(row: StoredKey): KeyObject {
    let key = this.privateKeys.get(row.kid);
    if (!key) {
      const der = this.encryption.decrypt(row.sealedPrivateKey, row);
      key = privateKeyObject(der);
      der.fill(0);
      this.privateKeys.set(row.kid, key);
    }
    return key;
  }
}
