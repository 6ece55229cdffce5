/**
 * Password storage per the OWASP Password Storage cheat sheet: bcrypt over a pepper-keyed
 * pre-hash, `bcrypt(base64(HMAC-SHA-384(password, pepper)))`. The pre-hash is 64 base64
 * characters, inside bcrypt's 72-byte input, so no byte of a long password is ever ignored;
 * the pepper lives in config, never in the database (docs/decisions/0003-password-prehash.md).
 *
 * At most `concurrency` bcrypt operations run at once (PASSWORD_HASH_CONCURRENCY, default one
 * less than the CPUs): hashing never takes every core, so the event loop keeps answering
 * other requests quickly during a login storm (docs/performance.md).
 */
import { createHmac, randomBytes } from 'node:crypto';
import bcrypt from 'bcrypt';
import { ConcurrencyLimit } from './concurrency-limit';

export interface PasswordCheck {
  ok: boolean;
  /** The stored hash used a lower cost than configured: store a fresh one. */
  needsRehash: boolean;
}

export class PasswordHasher {
  /** A real hash of a random password, compared against for unknown emails (same timing). */
  private readonly dummyHash: Promise<string>;
  private readonly limit: ConcurrencyLimit;

  constructor(
    private readonly pepper: string,
    private readonly cost: number,
    concurrency = 1,
  ) {
    this.limit = new ConcurrencyLimit(concurrency);
    this.dummyHash = this.hash(randomBytes(32).toString('hex'));
    this.dummyHash.catch(() => undefined);
  }

  private preHash(password: string): string {
    return createHmac('sha384', this.pepper).update(password, 'utf8').digest('base64');
  }

  /** `signal`: skip the work if the client has gone by the time it would start. */
  hash(password: string, signal?: AbortSignal): Promise<string> {
    return this.limit.run(() => bcrypt.hash(this.preHash(password), this.cost), signal);
  }

  async verify(password: string, storedHash: string, signal?: AbortSignal): Promise<PasswordCheck> {
    const ok = await this.limit.run(() => bcrypt.compare(this.preHash(password), storedHash), signal);
    return { ok, needsRehash: ok && bcrypt.getRounds(storedHash) < this.cost };
  }

  /** Spends the same work as verify() for an account that does not exist; always false. */
  async verifyAgainstDummy(password: string, signal?: AbortSignal): Promise<false> {
    const dummy = await this.dummyHash;
    await this.limit.run(() => bcrypt.compare(this.preHash(password), dummy), signal);
    return false;
  }
}
