/**
 * How a passkey's credential is kept: the credential id and COSE public key sealed together
 * (crypto/key-encryption.ts, bound to the passkey's id and user id), and the credential id's
 * SHA-256 for finding it. Neither the id nor the key is ever in the table, a log line or an event.
 */
import { createHash } from 'node:crypto';
import { passkeyCredentialContext, SealedValueError, type Envelope } from '../crypto/key-encryption';

export interface Credential {
  /** base64url, as WebAuthn's JSON forms carry it. */
  id: string;
  publicKey: Uint8Array<ArrayBuffer>;
}

/** The lookup key of a credential id (base64url as the client sent it; its bytes are hashed, so padding or spelling cannot differ). */
export const credentialIdHash = (credentialId: string): string => createHash('sha256').update(Buffer.from(credentialId, 'base64url')).digest('base64url');

export class CredentialSeal {
  constructor(private readonly envelope: Envelope) {}

  seal(passkey: { id: string; userId: string }, credential: Credential): string {
    const plaintext = Buffer.from(JSON.stringify({ id: credential.id, publicKey: Buffer.from(credential.publicKey).toString('base64url') }));
    return this.envelope.seal(plaintext, passkeyCredentialContext(passkey));
  }

  /** Throws SealedValueError when it does not open (another KEY_ENCRYPTION_KEY, another row). */
  open(passkey: { id: string; userId: string; sealedCredential: string }): Credential {
    const opened = JSON.parse(this.envelope.open(passkey.sealedCredential, passkeyCredentialContext(passkey)).toString('utf8')) as {
      id: string;
      publicKey: string;
    };
    return { id: opened.id, publicKey: new Uint8Array(Buffer.from(opened.publicKey, 'base64url')) };
  }

  /**
   * The credentials of `passkeys` that open, with their transports (what options list); one that
   * does not (sealed under a KEY_ENCRYPTION_KEY the service no longer has) is left out, as it can
   * no longer sign in anyway.
   */
  openEach(passkeys: Array<{ id: string; userId: string; sealedCredential: string; transports: string[] }>): Array<Credential & { transports: string[] }> {
    return passkeys.flatMap((passkey) => {
      try {
        return [{ ...this.open(passkey), transports: passkey.transports }];
      } catch (error) {
        if (error instanceof SealedValueError) return [];
        throw error;
      }
    });
  }
}
