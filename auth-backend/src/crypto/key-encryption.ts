/**
 * What the database must not hold in the clear, sealed with AES-256-GCM under keys derived
 * (HKDF-SHA-256) from KEY_ENCRYPTION_KEY, which lives in the environment and never in the
 * database, so a dump or backup alone reveals nothing. Each purpose derives its own key (its own
 * HKDF info string), and each ciphertext is bound to its row by additional data: a ciphertext
 * copied onto another row, or used for another purpose, does not decrypt.
 *
 * - Signing keys (KeyEncryption): info `signing-key-encryption/v1`, bound to kid and algorithm.
 * - TOTP secrets (mfa/): info `totp-secret-encryption/v1`, bound to the factor's id and user id.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;

export class KeyDecryptionError extends Error {
  constructor(kid: string) {
    super(`signing key ${kid} cannot be decrypted: KEY_ENCRYPTION_KEY is not the one it was stored with`);
    this.name = 'KeyDecryptionError';
  }
}

/** A sealed value that does not open: another KEY_ENCRYPTION_KEY, another row, or tampered with. */
export class SealedValueError extends Error {
  constructor() {
    super('a sealed value cannot be decrypted: KEY_ENCRYPTION_KEY is not the one it was stored with, or it belongs to another row');
    this.name = 'SealedValueError';
  }
}

/** AES-256-GCM under the key derived for one purpose (`info`); `context` (the row's identity) is the additional data. */
export class Envelope {
  private readonly key: Buffer;

  constructor(keyEncryptionKey: string, info: string) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(keyEncryptionKey, 'utf8'), 'auth-backend', info, 32));
  }

  seal(plaintext: Buffer, context: readonly string[]): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(aad(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  /** Throws SealedValueError when it does not open. */
  open(sealed: string, context: readonly string[]): Buffer {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || ciphertext === undefined) throw new SealedValueError();
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(aad(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
    } catch {
      throw new SealedValueError();
    }
  }
}

/** The private halves of signing keys at rest, bound to their kid and algorithm. */
export class KeyEncryption {
  private readonly envelope: Envelope;

  constructor(keyEncryptionKey: string) {
    this.envelope = new Envelope(keyEncryptionKey, 'signing-key-encryption/v1');
  }

  encrypt(plaintext: Buffer, binding: { kid: string; algorithm: string }): string {
    return this.envelope.seal(plaintext, [binding.kid, binding.algorithm]);
  }

  decrypt(sealed: string, binding: { kid: string; algorithm: string }): Buffer {
    try {
      return this.envelope.open(sealed, [binding.kid, binding.algorithm]);
    } catch {
      throw new KeyDecryptionError(binding.kid);
    }
  }
}

const aad = (context: readonly string[]) => Buffer.from(context.join('\n'), 'utf8');
