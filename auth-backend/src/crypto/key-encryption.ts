/**
 * Envelope for the private halves of signing keys at rest: AES-256-GCM under a key derived
 * (HKDF-SHA-256) from KEY_ENCRYPTION_KEY, which lives in the environment and never in the
 * database, so a dump or backup alone cannot sign tokens. The key id and algorithm are bound
 * as additional data: a ciphertext copied onto another row does not decrypt.
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

export class KeyEncryption {
  private readonly key: Buffer;

  constructor(keyEncryptionKey: string) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(keyEncryptionKey, 'utf8'), 'auth-backend', 'signing-key-encryption/v1', 32));
  }

  encrypt(plaintext: Buffer, binding: { kid: string; algorithm: string }): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(aad(binding));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  decrypt(sealed: string, binding: { kid: string; algorithm: string }): Buffer {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || ciphertext === undefined) throw new KeyDecryptionError(binding.kid);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(aad(binding));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
    } catch {
      throw new KeyDecryptionError(binding.kid);
    }
  }
}

const aad = ({ kid, algorithm }: { kid: string; algorithm: string }) => Buffer.from(`${kid}\n${algorithm}`, 'utf8');
