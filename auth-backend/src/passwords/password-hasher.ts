/**
 * Password storage per the OWASP Password Storage cheat sheet: bcrypt over a pepper-keyed
 * pre-hash, `bcrypt(base64(HMAC-SHA-384(password, pepper)))`. The pre-hash is 64 base64
 * characters, inside bcrypt's 72-byte input, so no byte of a long password is ever ignored;
 * the pepper lives in config, never in the database (docs/decisions/0003-password-prehash.md).
 *
 * bcrypt runs on `concurrency` worker threads (PASSWORD_HASH_CONCURRENCY, default: the CPUs)
 * at the lowest OS priority (./hashing-pool.ts): a login storm uses every core, yet the event
 * loop keeps answering other requests quickly (docs/performance.md). It is a lifecycle worker:
 * start() starts the threads, stop() ends them.
 */
import { createHmac, randomBytes } from 'node:crypto';
import bcrypt from 'bcrypt';
import type { Worker } from '../lifecycle';
import { HashingPool } from './hashing-pool';

export interface PasswordCheck {
  ok: boolean;
  /** The stored hash used a lower cost than configured: store a fresh one. */
  needsRehash: boolean;
}

export class PasswordHasher implements Worker {
  readonly name = 'password-hashing';
  /** A real hash of a random password, compared against for unknown emails (same timing). */
  private dummy?: Promise<string>;
  private readonly pool: HashingPool;

  constructor(
    private readonly pepper: string,
    private readonly cost: number,
    concurrency = 1,
  ) {
    this.pool = new HashingPool(concurrency);
  }

  /** Hashes and verifications waiting for a thread (metrics). */
  get queueDepth(): number {
    return this.pool.queued;
  }

  /** Starts every hashing thread (otherwise each starts when first needed) and makes the dummy hash. */
  start(): void {
    this.pool.start();
    void this.dummyHash().catch(() => undefined);
  }

  /** Ends the hashing threads (they start again if a hash is asked for later). */
  async stop(): Promise<void> {
    await this.pool.stop();
  }

  private dummyHash(): Promise<string> {
    if (!this.dummy) {
      const dummy = this.hash(randomBytes(32).toString('hex'));
      // A failed attempt (threads stopped meanwhile) is made again when next needed.
      dummy.catch(() => {
        if (this.dummy === dummy) this.dummy = undefined;
      });
      this.dummy = dummy;
    }
    return this.dummy;
  }

  private preHash(password: string): string {
    return createHmac('sha384', this.pepper).update(password, 'utf8').digest('base64');
  }

  /** `signal`: skip the work if the client has gone by the time it would start. */
  hash(password: string, signal?: AbortSignal): Promise<string> {
    return this.pool.run({ op: 'hash', data: this.preHash(password), cost: this.cost }, signal) as Promise<string>;
  }

  async verify(password: string, storedHash: string, signal?: AbortSignal): Promise<PasswordCheck> {
    const ok = (await this.pool.run({ op: 'compare', data: this.preHash(password), hash: storedHash }, signal)) as boolean;
    return { ok, needsRehash: ok && bcrypt.getRounds(storedHash) < this.cost };
  }

  /** Spends the same work as verify() for an account that does not exist; always false. */
  async verifyAgainstDummy(password: string, signal?: AbortSignal): Promise<false> {
    await this.verify(password, await this.dummyHash(), signal);
    return false;
  }
}
