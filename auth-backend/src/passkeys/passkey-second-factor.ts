/**
 * A passkey as the second factor of a sign-in that the pipeline challenged (an account with an
 * active TOTP factor): options() for its mfaToken, with the account's passkeys as
 * allowCredentials and a challenge bound to that sign-in's mfa_challenge row; answering() is what
 * mfa/mfa-verification.ts asks for when POST /auth/mfa/verify carries `passkey` instead of a code:
 * the signature is checked here, and the rest (the challenge spent, the use recorded) becomes part
 * of the one statement that answers the mfaToken under its row lock. Knows nothing of HTTP.
 */
import type { Logger } from '../logger';
import { AppError } from '../errors';
import type { RequestMeta } from '../domain/audit';
import type { Fragment } from '../db/statement';
import { ACCEPTED_ANSWER, ANSWERED_CHALLENGE, type MfaChallengesTable } from '../tables/mfa-challenges';
import { counterAdvances, type PasskeysTable } from '../tables/passkeys';
import type { PasskeyChallengesTable } from '../tables/passkey-challenges';
import { credentialIdHash, type CredentialSeal } from './credential-seal';
import { PasskeyRefused, type RelyingParty } from './relying-party';
import type { PasskeyAssertions } from './passkey-assertions';
import type { AuthenticationResponse, RequestOptions } from './webauthn-schemas';

export interface PasskeySecondFactorDeps {
  mfaChallenges: MfaChallengesTable;
  passkeys: PasskeysTable;
  challenges: PasskeyChallengesTable;
  seal: CredentialSeal;
  relyingParty: RelyingParty;
  assertions: PasskeyAssertions;
}

/** A passkey's answer to a second-factor challenge, as mfa/mfa-verification.ts hands it over. */
export interface PasskeySecondFactorAnswer {
  /** The account of the mfaToken. */
  userId: string;
  response: AuthenticationResponse;
  meta?: RequestMeta;
}

/** The CTE of the answer's statement that holds the spent passkey challenge (a row when it was spent). */
const SPENT_PASSKEY_CHALLENGE = 'spent_passkey_challenge';

export class PasskeySecondFactor {
  constructor(private readonly deps: PasskeySecondFactorDeps) {}

  /** Options for the mfaToken's sign-in: 401 for an unknown, spent or expired mfaToken, 409 when the account has no passkey. */
  async options(mfaToken: string, log: Logger): Promise<{ options: RequestOptions }> {
    const { mfaChallenges, passkeys, challenges, seal, relyingParty } = this.deps;
    const challenge = await mfaChallenges.findOpen(mfaToken);
    if (!challenge) throw new AppError('invalid_mfa_token', 'The mfaToken is invalid, expired or already used; sign in again.');
    const userId = challenge.account.id;
    const owned = await passkeys.listOfUser(userId);
    if (owned.length === 0) throw new AppError('no_passkey', 'This account has no passkey: answer with a code from the authenticator app or a recovery code.');
    const issued = await challenges.issue('second-factor', { mfaChallengeId: challenge.id });
    log.info({ event: 'passkey.options', purpose: 'second-factor', userId }, 'passkey second-factor options issued');
    return { options: await relyingParty.requestOptions(seal.openEach(owned), issued.challenge) };
  }

  /**
   * The answer as a fragment of the challenge's one statement (tables/mfa-challenges.ts answer):
   * when the assertion is a valid one by one of the account's passkeys, the fragment spends the
   * passkey challenge it signed (only one issued for this very mfaToken, live) and records the use
   * (only if the counter advanced); undefined (a wrong answer, no statement part) otherwise. A
   * counter that did not advance is a suspected copy: recorded, and refused.
   */
  async answering(answer: PasskeySecondFactorAnswer, log: Logger): Promise<Fragment | undefined> {
    const { assertions, challenges, passkeys } = this.deps;
    const line = { event: 'mfa.verify', userId: answer.userId, method: 'passkey' };
    try {
      let signed = '';
      const row = await passkeys.findByCredential(credentialIdHash(answer.response.rawId));
      if (!row) throw new PasskeyRefused('unknown-credential');
      const { passkey, counter, backedUp } = await assertions.checkSignature(
        {
          row,
          response: answer.response,
          // Judged in the statement, where it is spent: only a challenge of this mfaToken, unspent, passes.
          challenge: (challenge) => {
            signed = challenge;
            return true;
          },
          userId: answer.userId,
        },
        log,
      );
      if (!counterAdvances(row.counter, counter)) await assertions.suspectClone(passkey, counter, row.counter, answer.meta, log);
      log.info({ ...line, passkeyId: passkey.id }, 'passkey assertion valid: answering the second factor with it');
      return (statement) => [
        ...challenges.spendingForSecondFactor(signed, { gate: ANSWERED_CHALLENGE, name: SPENT_PASSKEY_CHALLENGE })(statement),
        ...passkeys.recordingUse(passkey.id, counter, backedUp, { gate: SPENT_PASSKEY_CHALLENGE, name: ACCEPTED_ANSWER })(statement),
      ];
    } catch (error) {
      if (!(error instanceof PasskeyRefused)) throw error;
      log.info({ ...line, reason: error.reason }, 'passkey refused as second factor');
      return undefined;
    }
  }
}
