import { createHmac, hkdfSync } from 'node:crypto';

/**
 * The one way an email address is hashed: for throttle keys (so that no counter stores an
 * address) and, shortened, for log lines that correlate attempts on one address without writing
 * it. Keyed (HMAC-SHA-256 under a key derived from KEY_ENCRYPTION_KEY), so that someone holding
 * the logs or a dump cannot confirm a guessed address offline; each use has its own scope, so no
 * key of one can be matched with another's. Every replica derives the same key.
 */
export type AddressScope = 'login-throttle' | 'mail-throttle' | 'log';

export class AddressDigests {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'auth-backend', 'address-digest/v1', 32));
  }

  digest(email: string, scope: AddressScope): string {
    const digest = createHmac('sha256', this.key).update(`${scope}:${email}`).digest('base64url');
    return scope === 'log' ? digest.slice(0, 16) : digest;
  }

  /** The reference that log lines carry instead of an address (correlates one address's lines). */
  ref(email: string): string {
    return this.digest(email, 'log');
  }
}
