/**
 * The passkey door of the one sign-in pipeline: a username-less sign-in. options() issues a
 * challenge bound to nobody (its id goes to the client with the options); authenticate() spends it,
 * checks the assertion, and returns the sign-in attempt (amr hwk + mfa: a user-verified passkey is
 * itself two factors) for the caller to hand to SignInPipeline.finish or finishWithTokens, which
 * applies disabled accounts, REQUIRE_VERIFIED_EMAIL and the user.login event as for every door.
 *
 * Two front doors call it: the JSON API (passkey-sign-in-endpoints.ts) and the provider's hosted
 * sign-in page (a passkey button and conditional UI autofill call the same two functions).
 * Every failure of an assertion is the same 401 invalid_passkey; the reason is on the log line.
 * Knows nothing of HTTP.
 */
import type { Logger } from '../logger';
import { AppError } from '../errors';
import type { RequestMeta } from '../domain/audit';
import type { PasskeyChallengesTable } from '../tables/passkey-challenges';
import { hashOpaqueToken } from '../crypto/opaque-token';
import type { SignInAttempt } from '../sign-in/sign-in-attempt';
import { PasskeyRefused, type RelyingParty } from './relying-party';
import { credentialIdHash } from './credential-seal';
import type { PasskeyAssertions } from './passkey-assertions';
import type { AuthenticationResponse, RequestOptions } from './webauthn-schemas';

export interface PasskeySignInDeps {
  challenges: PasskeyChallengesTable;
  relyingParty: RelyingParty;
  assertions: PasskeyAssertions;
}

export interface PasskeyAnswer {
  challengeId: string;
  response: AuthenticationResponse;
  userAgent: string | null;
  meta?: RequestMeta;
  /** The provider client a hosted sign-in serves. */
  clientId?: string;
}

/** The one body of every refused assertion, whatever the cause. */
export const invalidPasskey = (status?: 401) =>
  new AppError('invalid_passkey', 'The passkey could not be verified; try again, or sign in another way.', status ? { status } : {});

export class PasskeySignIn {
  constructor(private readonly deps: PasskeySignInDeps) {}

  /** Options for navigator.credentials.get(): any discoverable passkey of this RP, user verification required. */
  async options(log: Logger): Promise<{ options: RequestOptions; challengeId: string }> {
    const issued = await this.deps.challenges.issue('authentication', {});
    log.info({ event: 'passkey.options', purpose: 'authentication' }, 'passkey sign-in options issued');
    return { options: await this.deps.relyingParty.requestOptions([], issued.challenge), challengeId: issued.id };
  }

  /** The sign-in attempt of a valid assertion; 401 invalid_passkey otherwise. */
  async authenticate(answer: PasskeyAnswer, log: Logger): Promise<SignInAttempt> {
    const { challenges, assertions } = this.deps;
    const line = { event: 'passkey.sign-in' };
    try {
      // Spent first, whatever the assertion turns out to be: a challenge is answered once.
      const found = await challenges.spendForSignIn(answer.challengeId, credentialIdHash(answer.response.rawId));
      const { challengeHash } = found;
      if (!challengeHash) throw new PasskeyRefused('challenge');
      // The account is read with the use (now: the pipeline refuses one disabled since the passkey was made).
      const { passkey, account } = await assertions.verify(
        { passkey: found.passkey, response: answer.response, challenge: (signed) => hashOpaqueToken(signed) === challengeHash, meta: answer.meta },
        log,
      );
      // The pipeline's line says who signed in and how; which passkey it was is for debugging.
      log.debug({ ...line, outcome: 'passed', userId: account.id, passkeyId: passkey.id }, 'passkey accepted');
      return { account, amr: ['hwk', 'mfa'], door: 'passkey', userAgent: answer.userAgent, meta: answer.meta, clientId: answer.clientId };
    } catch (error) {
      if (!(error instanceof PasskeyRefused)) throw error;
      log.info({ ...line, outcome: 'failure', reason: error.reason }, 'passkey sign-in refused');
      throw invalidPasskey(401);
    }
  }
}
