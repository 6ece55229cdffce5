/**
 * What the database must not hold in the clear, sealed with AES-256-GCM under keys derived
 * (HKDF-SHA-256) from KEY_ENCRYPTION_KEY, which lives in the environment and never in the
 * database, so a dump or backup alone reveals nothing. Each purpose derives its own key (its own
 * HKDF info string), and each ciphertext is bound to its row by additional data: a ciphertext
 * copied onto another row, or used for another purpose, does not decrypt.
 *
 * - Signing keys (KeyEncryption): info `signing-key-encryption/v1`, bound to kid and algorithm.
 * - TOTP secrets (mfa/): info `totp-secret-encryption/v1`, bound to the factor's id and user id.
 * - Passkeys' credential ids and public keys (passkeys/): info `passkey-credential-encryption/v1`,
 *   bound to the passkey's id and user id (a key written into the table without KEY_ENCRYPTION_KEY
 *   opens nowhere, so a database write alone plants no way in, as with the peppered password hashes).
 *
 * Changing KEY_ENCRYPTION_KEY (docs/operations.md, "Changing KEY_ENCRYPTION_KEY"): while
 * KEY_ENCRYPTION_KEY_PREVIOUS holds the old value, values sealed under either open, new ones are
 * sealed under the new key, and `npm run secrets:reseal` (ops/reseal-secrets.ts) re-seals the rest.
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

/** KEY_ENCRYPTION_KEY, and KEY_ENCRYPTION_KEY_PREVIOUS while it is being changed (config.keys has this shape). */
export interface KeyEncryptionKeys {
  encryptionKey: string;
  previousEncryptionKey?: string | undefined;
}

/** What re-sealing one value under the current key came to. */
export type Resealed = { state: 'current' } | { state: 'resealed'; sealed: string } | { state: 'unreadable' };

const keysOf = (keys: string | KeyEncryptionKeys): string[] =>
  typeof keys === 'string' ? [keys] : [keys.encryptionKey, ...(keys.previousEncryptionKey ? [keys.previousEncryptionKey] : [])];

/**
 * AES-256-GCM under the key derived for one purpose (`info`); `context` (the row's identity) is the
 * additional data. Seals under the current key; opens what either key sealed.
 */
export class Envelope {
  /** The current key first. */
  private readonly keys: Buffer[];

  constructor(keys: string | KeyEncryptionKeys, info: string) {
    this.keys = keysOf(keys).map((key) => Buffer.from(hkdfSync('sha256', Buffer.from(key, 'utf8'), 'auth-backend', info, 32)));
  }

  seal(plaintext: Buffer, context: readonly string[]): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0]!, iv);
    cipher.setAAD(aad(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  /** Throws SealedValueError when it does not open. */
  open(sealed: string, context: readonly string[]): Buffer {
    const opened = this.openWithIndex(sealed, context);
    if (!opened) throw new SealedValueError();
    return opened.plaintext;
  }

  /** The value sealed under the current key: unchanged when it is already, 'unreadable' when no key opens it. */
  reseal(sealed: string, context: readonly string[]): Resealed {
    const opened = this.openWithIndex(sealed, context);
    if (!opened) return { state: 'unreadable' };
    try {
      return opened.keyIndex === 0 ? { state: 'current' } : { state: 'resealed', sealed: this.seal(opened.plaintext, context) };
    } finally {
      opened.plaintext.fill(0);
    }
  }

  private openWithIndex(sealed: string, context: readonly string[]): { plaintext: Buffer; keyIndex: number } | undefined {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || ciphertext === undefined) return undefined;
    for (const [keyIndex, key] of this.keys.entries()) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(aad(context));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return { plaintext: Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]), keyIndex };
      } catch {
        // Not this key: the next one, if any.
      }
    }
    return undefined;
  }
}

/** TOTP secrets at rest (mfa/), bound to the factor's id and user id. */
export const totpSecretEnvelope = (keys: string | KeyEncryptionKeys) => new Envelope(keys, 'totp-secret-encryption/v1');

/** The context a TOTP secret is sealed with: its factor's id and user id. */
export const totpSecretContext = (factor: { id: string; userId: string }): readonly string[] => ['mfa_factor', factor.id, factor.userId];

/** Passkeys' credential ids and public keys at rest (passkeys/), bound to the passkey's id and user id. */
export const passkeyCredentialEnvelope = (keys: string | KeyEncryptionKeys) => new Envelope(keys, 'passkey-credential-encryption/v1');

/** The context a passkey's credential is sealed with. */
export const passkeyCredentialContext = (passkey: { id: string; userId: string }): readonly string[] => ['passkey', passkey.id, passkey.userId];

/** The OpenID Provider's state at rest (provider/provider-adapter.ts), bound to its row: [model, key]. */
export const providerStateEnvelope = (keys: string | KeyEncryptionKeys) => new Envelope(keys, 'oidc-provider-state/v1');

/** The private halves of signing keys at rest, bound to their kid and algorithm. */
export class KeyEncryption {
  private readonly envelope: Envelope;

  constructor(keys: string | KeyEncryptionKeys) {
    this.envelope = new Envelope(keys, 'signing-key-encryption/v1');
  }

  reseal(sealed: string, binding: { kid: string; algorithm: string }): Resealed {
    return this.envelope.reseal(sealed, [binding.kid, binding.algorithm]);
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
