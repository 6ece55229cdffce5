/**
 * CSRF tokens of server-rendered forms: an HMAC of what the form is bound to (a provider
 * interaction's id, a console session), under a key derived from KEY_ENCRYPTION_KEY for this
 * purpose only (no new secret to configure). A token is good only for its binding, so one taken
 * from an attacker's own interaction does not submit a victim's; every POST checks it before it
 * changes anything (sendPage a 403 otherwise).
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { KeyEncryptionKeys } from '../crypto/key-encryption';

/** The hidden input that carries the token. */
export const CSRF_FIELD = 'csrf';

export class CsrfTokens {
  /** The current key first; a token made under KEY_ENCRYPTION_KEY_PREVIOUS still verifies while it is set. */
  private readonly keys: Buffer[];

  constructor(keys: KeyEncryptionKeys) {
    const secrets = [keys.encryptionKey, ...(keys.previousEncryptionKey ? [keys.previousEncryptionKey] : [])];
    this.keys = secrets.map((secret) => Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'auth-backend', 'csrf-token/v1', 32)));
  }

  token(binding: string): string {
    return this.mac(this.keys[0]!, binding);
  }

  verify(binding: string, token: unknown): boolean {
    if (typeof token !== 'string' || token.length === 0 || token.length > 100) return false;
    const given = Buffer.from(token);
    return this.keys.some((key) => {
      const expected = Buffer.from(this.mac(key, binding));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }

  private mac(key: Buffer, binding: string): string {
    return createHmac('sha256', key).update(`csrf:${binding}`, 'utf8').digest('base64url');
  }
}
