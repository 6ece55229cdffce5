/**
 * Checking an assertion against a stored passkey: what a username-less sign-in (passkey-sign-in.ts)
 * and a passkey as second factor (passkey-second-factor.ts) share. The passkey is found by the
 * hash of the credential id, its sealed credential opened, the library checks the response, and
 * the counter rule runs in one conditional UPDATE: a valid signature whose counter did not
 * increase is refused and recorded as `passkey.clone_suspected` (only a valid signature: nobody
 * can make that event with a forged one).
 */
import type { Logger } from '../logger';
import type { RequestMeta } from '../domain/audit';
import type { Account } from '../domain/user';
import type { AuditLog } from '../audit/audit-log';
import { SealedValueError } from '../crypto/key-encryption';
import type { PasskeyRow, PasskeysTable } from '../tables/passkeys';
import { credentialIdHash, type CredentialSeal } from './credential-seal';
import { PasskeyRefused, userHandleOf, type ChallengeCheck, type RelyingParty, type VerifiedAssertion } from './relying-party';
import type { AuthenticationResponse } from './webauthn-schemas';

export interface PasskeyAssertionsDeps {
  passkeys: PasskeysTable;
  seal: CredentialSeal;
  relyingParty: RelyingParty;
  audit: AuditLog;
}

export interface AssertionCheck {
  /** The passkey the response's credential id names (by its hash), if the service has it. */
  passkey: PasskeyRow | undefined;
  response: AuthenticationResponse;
  challenge: ChallengeCheck;
  /** The account the assertion must be for (a second factor); absent: whoever the passkey names (a username-less sign-in). */
  userId?: string;
  meta?: RequestMeta;
}

export class PasskeyAssertions {
  constructor(private readonly deps: PasskeyAssertionsDeps) {}

  /** The passkey of the response's credential (for a check's `passkey`). */
  find(response: AuthenticationResponse): Promise<PasskeyRow | undefined> {
    return this.deps.passkeys.findByCredential(credentialIdHash(response.rawId));
  }

  /** The passkey that made a valid assertion, its use recorded, and its account as it is now; or PasskeyRefused. */
  async verify(check: AssertionCheck, log: Logger): Promise<{ passkey: PasskeyRow; account: Account }> {
    const { passkey, counter, backedUp } = await this.checkSignature(check, log);
    const account = await this.deps.passkeys.recordUse(passkey.id, counter, backedUp);
    if (!account) return this.suspectClone(passkey, counter, check.meta, log);
    return { passkey, account };
  }

  /**
   * Everything but recording the use: the passkey exists and is the account's, names its user, and
   * made a valid assertion (the library's checks, the challenge by `check.challenge`). The caller
   * records the use (and judges the counter) in its own statement.
   */
  async checkSignature(check: AssertionCheck, log: Logger): Promise<VerifiedAssertion & { passkey: PasskeyRow }> {
    const { response, passkey } = check;
    if (!passkey || response.id !== response.rawId) throw new PasskeyRefused('unknown-credential');
    if (check.userId !== undefined && passkey.userId !== check.userId) throw new PasskeyRefused('other-account');
    // A discoverable credential names its user: it must be the passkey's (WebAuthn §7.2); a username-less sign-in needs it.
    const { userHandle } = response.response;
    if ((userHandle === undefined && check.userId === undefined) || (userHandle !== undefined && userHandle !== userHandleOf(passkey.userId))) {
      throw new PasskeyRefused('user-handle');
    }
    let credential;
    try {
      credential = this.deps.seal.open(passkey);
    } catch (error) {
      if (!(error instanceof SealedValueError)) throw error;
      log.error(
        { event: 'passkey.unreadable', userId: passkey.userId, passkeyId: passkey.id },
        'a passkey sealed under another KEY_ENCRYPTION_KEY cannot be checked (npm run secrets:reseal while KEY_ENCRYPTION_KEY_PREVIOUS holds that value)',
      );
      throw new PasskeyRefused('unreadable');
    }
    const verified = await this.deps.relyingParty.verifyAssertion(response, { ...credential, transports: passkey.transports }, check.challenge);
    return { ...verified, passkey };
  }

  /** A valid signature whose counter did not increase: the event, the log line, and the refusal. */
  async suspectClone(passkey: PasskeyRow, counter: number, meta: RequestMeta | undefined, log: Logger): Promise<never> {
    log.warn(
      { event: 'passkey.clone-suspected', userId: passkey.userId, passkeyId: passkey.id, counter, storedCounter: passkey.counter },
      'passkey refused: its signature counter did not increase (a copy of it may be in use)',
    );
    // Nothing changed: the event stands alone, like a failed login's.
    await this.deps.audit.record({
      type: 'passkey.clone_suspected',
      userId: passkey.userId,
      meta,
      data: { passkeyId: passkey.id, counter, storedCounter: passkey.counter },
    });
    throw new PasskeyRefused('counter');
  }
}
