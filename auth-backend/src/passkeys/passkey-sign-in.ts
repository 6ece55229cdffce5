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
import type { PasskeysTable } from '../tables/passkeys';
import type { GatedSignInAttempt } from '../sign-in/sign-in-attempt';
import type { Account } from '../domain/user';
import { allOf, type Fragment } from '../db/statement';
import { PasskeyRefused, type RelyingParty, type VerifiedAssertion } from './relying-party';
import type { KnownPasskey } from './passkey-keys';
import type { PasskeyAssertions } from './passkey-assertions';
import type { AuthenticationResponse, RequestOptions } from './webauthn-schemas';

/** The per-IP count of sign-in attempts (throttle/login-throttle.ts, its `login` window). */
export interface SignInAttempts {
  consumeIp(action: 'login', ip: string): Promise<unknown>;
  countingIp(action: 'login', ip: string, name: string): Fragment;
}

export interface PasskeySignInDeps {
  challenges: PasskeyChallengesTable;
  passkeys: PasskeysTable;
  throttle: SignInAttempts;
  relyingParty: RelyingParty;
  assertions: PasskeyAssertions;
}

export interface PasskeyAnswer {
  challengeId: string;
  /** The client's IP: every attempt counts on its `login` window, like a password's. */
  ip: string;
  response: AuthenticationResponse;
  userAgent: string | null;
  meta?: RequestMeta;
  /** The provider client a hosted sign-in serves. */
  clientId?: string;
}

/** The CTEs of the sign-in's statement: the attempt counted within the IP's limit, the spent challenge, both, and the recorded use (a row each when it happened). */
const WITHIN_LIMIT = 'within_ip_limit';
const SPENT_CHALLENGE = 'spent_challenge';
const ANSWERED = 'answered_within_limit';
const PASSKEY_USED = 'passkey_used';

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

  /**
   * The sign-in attempt of an assertion whose signature is valid (checked against the kept key: no
   * round trip), gated on the rest, which SQL settles in the pipeline's one statement: the attempt
   * is counted on the client IP's `login` window and is within it, the challenge it signed (issued
   * under challengeId, live and unspent) is spent, and the use is recorded under the counter rule
   * (GatedSignInAttempt). When that statement opens nothing, nothing of it happened, and the
   * pipeline calls account(): there the same steps run on their own (the IP's count by the
   * throttle, which answers 429 past the limit) and say why. 401 invalid_passkey for every refused
   * assertion, now or then; a refused one is counted and spends its challenge all the same: a
   * challenge is answered once.
   */
  async authenticate(answer: PasskeyAnswer, log: Logger): Promise<GatedSignInAttempt> {
    const { challenges, assertions, passkeys, throttle } = this.deps;
    const refused = (error: unknown) => {
      if (!(error instanceof PasskeyRefused)) return error;
      log.info({ event: 'passkey.sign-in', outcome: 'failure', reason: error.reason }, 'passkey sign-in refused');
      return invalidPasskey(401);
    };
    let signed = '';
    const checked = await assertions
      .checkSignature(
        {
          response: answer.response,
          // Judged by SQL where it is spent: only the challenge issued under challengeId, live and unspent, passes.
          challenge: (challenge) => {
            signed = challenge;
            return true;
          },
        },
        log,
      )
      .catch(async (error: unknown) => {
        if (!(error instanceof PasskeyRefused)) throw error;
        await throttle.consumeIp('login', answer.ip);
        await challenges.discardForSignIn(answer.challengeId);
        throw refused(error);
      });
    const { passkey, counter, backedUp } = checked;
    return {
      userId: passkey.userId,
      amr: ['hwk', 'mfa'],
      door: 'passkey',
      userAgent: answer.userAgent,
      meta: answer.meta,
      clientId: answer.clientId,
      gate: {
        fragments: [
          throttle.countingIp('login', answer.ip, WITHIN_LIMIT),
          challenges.spendingForSignIn(answer.challengeId, signed, SPENT_CHALLENGE),
          allOf(ANSWERED, [WITHIN_LIMIT, SPENT_CHALLENGE]),
          passkeys.recordingUse(passkey.id, counter, backedUp, { gate: ANSWERED, name: PASSKEY_USED }),
        ],
        name: PASSKEY_USED,
      },
      account: async () => {
        await throttle.consumeIp('login', answer.ip);
        return this.recordUse(answer, checked, signed, log).catch((error: unknown) => Promise.reject(refused(error)));
      },
    };
  }

  /** The spending and the use of a checked assertion on their own: the account, or why not (PasskeyRefused). */
  private async recordUse(answer: PasskeyAnswer, checked: VerifiedAssertion & { passkey: KnownPasskey }, signed: string, log: Logger): Promise<Account> {
    const { challenges, assertions, passkeys } = this.deps;
    const { passkey, counter, backedUp } = checked;
    const recorded = await passkeys.recordUse(passkey.id, counter, backedUp, {
      fragment: challenges.spendingForSignIn(answer.challengeId, signed, SPENT_CHALLENGE),
      name: SPENT_CHALLENGE,
    });
    if (!recorded.spent) {
      // Unknown, spent, expired or not the one signed: spend what was issued under that id anyway.
      await challenges.discardForSignIn(answer.challengeId);
      throw new PasskeyRefused('challenge');
    }
    if (recorded.storedCounter === undefined) {
      assertions.forget(answer.response);
      throw new PasskeyRefused('unknown-credential');
    }
    // The account is read with the use (now: the pipeline refuses one disabled since the passkey was made).
    return recorded.account ?? (await assertions.suspectClone(passkey, counter, recorded.storedCounter, answer.meta, log));
  }
}
