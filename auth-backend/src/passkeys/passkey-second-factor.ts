/**
 * A passkey as the second factor of a sign-in that the pipeline challenged (an account with an
 * active TOTP factor): options() for its mfaToken, with the account's passkeys as
 * allowCredentials and a challenge bound to that sign-in's mfa_challenge row; accept() is what
 * mfa/mfa-verification.ts calls, inside its transaction and under its row lock, when
 * POST /auth/mfa/verify carries `passkey` instead of a code. Knows nothing of HTTP.
 */
import type { Logger } from '../logger';
import { AppError } from '../errors';
import type { RequestMeta } from '../domain/audit';
import type { Transaction } from '../db/transaction';
import type { MfaChallengesTable } from '../tables/mfa-challenges';
import type { PasskeysTable } from '../tables/passkeys';
import type { PasskeyChallengesTable } from '../tables/passkey-challenges';
import type { CredentialSeal } from './credential-seal';
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
  userId: string;
  /** The mfa_challenge row of the mfaToken (locked by the caller). */
  mfaChallengeId: string;
  response: AuthenticationResponse;
  meta?: RequestMeta;
}

export class PasskeySecondFactor {
  constructor(private readonly deps: PasskeySecondFactorDeps) {}

  /** Options for the mfaToken's sign-in: 401 for an unknown, spent or expired mfaToken, 409 when the account has no passkey. */
  async options(mfaToken: string, log: Logger): Promise<{ options: RequestOptions }> {
    const { mfaChallenges, passkeys, challenges, seal, relyingParty } = this.deps;
    const challenge = await mfaChallenges.findUsable(mfaToken);
    if (!challenge) throw new AppError('invalid_mfa_token', 'The mfaToken is invalid, expired or already used; sign in again.');
    const owned = await passkeys.listOfUser(challenge.userId);
    if (owned.length === 0) throw new AppError('no_passkey', 'This account has no passkey: answer with a code from the authenticator app or a recovery code.');
    const issued = await challenges.issue('second-factor', { mfaChallengeId: challenge.id });
    log.info({ event: 'passkey.options', purpose: 'second-factor', userId: challenge.userId }, 'passkey second-factor options issued');
    const allowed = seal.openEach(owned);
    return { options: await relyingParty.requestOptions(allowed, issued.challenge) };
  }

  /** Whether the assertion is a valid one by one of the user's passkeys, to a challenge issued for this mfaToken (spent now). */
  async accept(tx: Transaction, answer: PasskeySecondFactorAnswer, log: Logger): Promise<boolean> {
    const challenges = this.deps.challenges.in(tx);
    try {
      const { assertions } = this.deps;
      const { passkey } = await assertions.verify(
        {
          passkey: await assertions.find(answer.response, tx),
          response: answer.response,
          challenge: (signed) => challenges.spend(signed, 'second-factor', { mfaChallengeId: answer.mfaChallengeId }),
          userId: answer.userId,
          meta: answer.meta,
        },
        log,
        tx,
      );
      log.info({ event: 'mfa.verify', userId: answer.userId, method: 'passkey', passkeyId: passkey.id }, 'passkey accepted as second factor');
      return true;
    } catch (error) {
      if (!(error instanceof PasskeyRefused)) throw error;
      log.info({ event: 'mfa.verify', userId: answer.userId, method: 'passkey', reason: error.reason }, 'passkey refused as second factor');
      return false;
    }
  }
}
