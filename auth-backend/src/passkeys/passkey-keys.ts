/**
 * The passkeys that assertions name, with their public keys opened and imported once per replica:
 * a sign-in would otherwise read the passkey's row, open its sealed credential and import its COSE
 * key on every assertion. What is kept never changes for a row's life (its id, user and key), so
 * it needs no invalidation: everything that can change (the counter, the account, the row's very
 * existence) is read or judged by the statement that records the use, and a row that is gone
 * there is forgotten here (forget). An entry read with a row is good for exactly the sealed value
 * it was opened from (a re-sealed row is opened again). At most `limit` entries, the oldest
 * dropped first.
 */
import type { PasskeyRow } from '../tables/passkeys';
import type { CredentialSeal } from './credential-seal';
import { importPublicKey, type PublicKey } from './assertion-signature';

/** A passkey as an assertion check needs it: the row's id and user, and the credential's key. */
export interface KnownPasskey {
  id: string;
  userId: string;
  publicKey: PublicKey;
}

interface Entry extends KnownPasskey {
  sealed: string;
}

export class PasskeyKeys {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly seal: CredentialSeal,
    private readonly limit = 10_000,
  ) {}

  /** The passkey whose credential id hashes to `credentialIdHash`, if it is kept. */
  kept(credentialIdHash: string): KnownPasskey | undefined {
    return this.entries.get(credentialIdHash);
  }

  /**
   * The passkey of `row` (read by `credentialIdHash`) with its key. Throws SealedValueError when
   * its credential does not open (another KEY_ENCRYPTION_KEY), PasskeyRefused('algorithm') when
   * its key is of an algorithm the service does not verify; neither is kept.
   */
  keyOf(credentialIdHash: string, row: Pick<PasskeyRow, 'id' | 'userId' | 'sealedCredential'>): KnownPasskey {
    const kept = this.entries.get(credentialIdHash);
    if (kept?.id === row.id && kept.sealed === row.sealedCredential) return kept;
    const entry = { id: row.id, userId: row.userId, sealed: row.sealedCredential, publicKey: importPublicKey(this.seal.open(row).publicKey) };
    this.entries.delete(credentialIdHash);
    this.entries.set(credentialIdHash, entry);
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }

  /** A passkey the table no longer has (removed since it was kept). */
  forget(credentialIdHash: string): void {
    this.entries.delete(credentialIdHash);
  }
}
