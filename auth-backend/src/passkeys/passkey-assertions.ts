/**
 * Checking an assertion against a stored passkey: what a username-less sign-in (passkey-sign-in.ts)
 * and a passkey as second factor (passkey-second-factor.ts) share. The passkey is the one the
 * response's credential id names (found by its hash, with its key: passkey-keys.ts), it must be
 * the account's and name its user, and the relying party checks the response; each caller then
 * spends the challenge and records the use (the counter rule) in its own one statement. A valid
 * signature whose counter did not increase is refused and recorded as `passkey.clone_suspected`
 * (only a valid signature: nobody can make that event with a forged one).
 */
import type { Logger } from '../logger';
import type { RequestMeta } from '../domain/audit';
import type { AuditLog } from '../audit/audit-log';
import { SealedValueError } from '../crypto/key-encryption';
import type { PasskeyRow, PasskeysTable } from '../tables/passkeys';
import { credentialIdHash } from './credential-seal';
import type { KnownPasskey, PasskeyKeys } from './passkey-keys';
import { PasskeyRefused, userHandleOf, type ChallengeCheck, type RelyingParty, type VerifiedAssertion } from './relying-party';
import type { AuthenticationResponse } from './webauthn-schemas';

export interface PasskeyAssertionsDeps {
  passkeys: PasskeysTable;
  keys: PasskeyKeys;
  relyingParty: RelyingParty;
  audit: AuditLog;
}

export interface AssertionCheck {
  response: AuthenticationResponse;
  challenge: ChallengeCheck;
  /** The account the assertion must be for (a second factor); absent: whoever the passkey names (a username-less sign-in). */
  userId?: string;
  /** The passkey's row as the caller read it (a second factor reads its counter); absent: found by the response's credential id. */
  row?: PasskeyRow;
}

export class PasskeyAssertions {
  constructor(private readonly deps: PasskeyAssertionsDeps) {}

  /**
   * The passkey that made a valid assertion (everything but the challenge's spending and the
   * counter, which the caller's statement judges), with the assertion's counter and backup state;
   * or PasskeyRefused.
   */
  async checkSignature(check: AssertionCheck, log: Logger): Promise<VerifiedAssertion & { passkey: KnownPasskey }> {
    const { response } = check;
    const passkey = await this.find(response.rawId, check.row, log);
    if (!passkey || response.id !== response.rawId) throw new PasskeyRefused('unknown-credential');
    if (check.userId !== undefined && passkey.userId !== check.userId) throw new PasskeyRefused('other-account');
    // A discoverable credential names its user: it must be the passkey's (WebAuthn §7.2); a username-less sign-in needs it.
    const { userHandle } = response.response;
    if ((userHandle === undefined && check.userId === undefined) || (userHandle !== undefined && userHandle !== userHandleOf(passkey.userId))) {
      throw new PasskeyRefused('user-handle');
    }
    const verified = await this.deps.relyingParty.verifyAssertion(response, passkey.publicKey, check.challenge);
    return { ...verified, passkey };
  }

  /** The passkey a statement found gone (removed since it was kept): it names nothing any more. */
  forget(response: AuthenticationResponse): void {
    this.deps.keys.forget(credentialIdHash(response.rawId));
  }

  /** A valid signature whose counter did not increase: the event, the log line, and the refusal. */
  async suspectClone(passkey: KnownPasskey, counter: number, storedCounter: number, meta: RequestMeta | undefined, log: Logger): Promise<never> {
    log.warn(
      { event: 'passkey.clone-suspected', userId: passkey.userId, passkeyId: passkey.id, counter, storedCounter },
      'passkey refused: its signature counter did not increase (a copy of it may be in use)',
    );
    // Nothing changed: the event stands alone, like a failed login's.
    await this.deps.audit.record({
      type: 'passkey.clone_suspected',
      userId: passkey.userId,
      meta,
      data: { passkeyId: passkey.id, counter, storedCounter },
    });
    throw new PasskeyRefused('counter');
  }

  /** The passkey of `rawId` with its key: `row` when the caller read it, else the kept one, else the table's. */
  private async find(rawId: string, row: PasskeyRow | undefined, log: Logger): Promise<KnownPasskey | undefined> {
    const { keys, passkeys } = this.deps;
    const hash = credentialIdHash(rawId);
    if (!row) {
      const kept = keys.kept(hash);
      if (kept) return kept;
      row = await passkeys.findByCredential(hash);
      if (!row) return undefined;
    }
    try {
      return keys.keyOf(hash, row);
    } catch (error) {
      if (!(error instanceof SealedValueError)) throw error;
      log.error(
        { event: 'passkey.unreadable', userId: row.userId, passkeyId: row.id },
        'a passkey sealed under another KEY_ENCRYPTION_KEY cannot be checked (npm run secrets:reseal while KEY_ENCRYPTION_KEY_PREVIOUS holds that value)',
      );
      throw new PasskeyRefused('unreadable');
    }
  }
}
