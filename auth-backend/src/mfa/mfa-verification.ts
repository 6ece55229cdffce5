/**
 * Passing the second factor of a sign-in that the pipeline's second-factor step (mfa-step.ts)
 * challenged: a TOTP code, a recovery code or (v4) a passkey's assertion against the mfaToken
 * (amr: the first factor's, then otp; mfa; or hwk and mfa). Knows nothing of HTTP. What it
 * returns is the sign-in attempt that the pipeline then finishes like any other (so a disabled
 * account, say, is refused here as at every door).
 *
 * Each answer is one attempt on the account's login counter (a wrong code or a refused passkey is a failure there too,
 * so fresh mfaTokens buy no fresh guesses). The answers to one mfaToken are judged one at a time
 * under its row lock, in one statement (tables/mfa-challenges.ts answer): it dies at its
 * MAX_WRONG_CODES-th wrong code, and is spent by the statement that accepts the code (so a code is
 * not used up by an mfaToken spent meanwhile). Four round trips in all, the pipeline's one more.
 */
import type { Logger } from '../logger';
import { AppError } from '../errors';
import type { AuthMethod } from '../domain/user';
import type { Fragment } from '../db/statement';
import type { RequestMeta } from '../domain/audit';
import type { AuditLog } from '../audit/audit-log';
import { MAX_WRONG_CODES, type Answer, type MfaChallengesTable, type OpenChallenge } from '../tables/mfa-challenges';
import { judged, type LoginThrottle } from '../throttle/login-throttle';
import type { SignInAttempt } from '../sign-in/sign-in-attempt';
import type { SecondFactorCodes } from './second-factor-codes';
import type { PasskeySecondFactor } from '../passkeys/passkey-second-factor';
import type { AuthenticationResponse } from '../passkeys/webauthn-schemas';

export interface MfaVerificationDeps {
  audit: AuditLog;
  mfaChallenges: MfaChallengesTable;
  codes: SecondFactorCodes;
  throttle: LoginThrottle;
  /** A passkey as the answer (passkeys/); without it a passkey answer is refused like a wrong code. */
  passkeys?: PasskeySecondFactor;
}

export interface MfaAnswer {
  mfaToken: string;
  code?: string;
  recoveryCode?: string;
  /** An assertion to the options of POST /auth/mfa/passkey/options for this mfaToken. */
  passkey?: AuthenticationResponse;
  userAgent?: string | null;
  meta?: RequestMeta;
  /** The provider client a hosted sign-in serves. */
  clientId?: string;
}

const invalidMfaToken = () => new AppError('invalid_mfa_token', 'The mfaToken is invalid, expired or already used; sign in again.');

type Method = 'totp' | 'recovery-code' | 'passkey';
/** What each way of passing the second factor adds to the first factor's amr (RFC 8176). */
const PROVES: Record<Method, AuthMethod[]> = { totp: ['otp'], 'recovery-code': ['mfa'], passkey: ['hwk', 'mfa'] };
const methodOf = (input: MfaAnswer): Method => (input.code !== undefined ? 'totp' : input.passkey !== undefined ? 'passkey' : 'recovery-code');

export class MfaVerification {
  constructor(private readonly deps: MfaVerificationDeps) {}

  /** The sign-in attempt after a right code (for the pipeline to finish); 401 otherwise, 429 past the account's limit. */
  async verify(input: MfaAnswer, log: Logger): Promise<SignInAttempt> {
    const { mfaChallenges, throttle, codes, audit } = this.deps;
    const challenge = await mfaChallenges.findOpen(input.mfaToken);
    if (!challenge) {
      log.info({ event: 'mfa.verify', outcome: 'failure', reason: 'invalid-mfa-token' }, 'second factor refused');
      throw invalidMfaToken();
    }
    const { account } = challenge;
    const method = methodOf(input);
    const line = { event: 'mfa.verify', userId: account.id, method };
    let answer: Answer;
    try {
      answer = await throttle.guard(account.email, async () => {
        const accepting = method === 'passkey' ? await this.passkeyAnswering(challenge, input, log) : codes.answering(challenge.factor, account.id, input);
        const answered = await mfaChallenges.answer(challenge.id, accepting);
        // Spent, expired or dead while this request waited: not a guess.
        return judged(answered === 'passed' ? 'succeeded' : answered === 'spent' ? 'uncounted' : 'failed', answered);
      });
    } catch (error) {
      if (error instanceof AppError && error.code === 'throttled') log.warn({ ...line, outcome: 'throttled' }, 'second factor throttled');
      throw error;
    }
    if (answer === 'spent') {
      log.info({ ...line, outcome: 'failure', reason: 'invalid-mfa-token' }, 'second factor refused');
      throw invalidMfaToken();
    }
    if (answer !== 'passed') {
      const { wrongCodes } = answer;
      log.info({ ...line, outcome: 'failure', reason: 'invalid-code', wrongCodes, mfaTokenDead: wrongCodes >= MAX_WRONG_CODES }, 'second factor refused');
      // Nothing changed but the counters: the event stands alone, like a failed login's.
      await audit.record({ type: 'mfa.failed', userId: account.id, meta: input.meta, data: { method, wrongCodes } });
      if (method === 'passkey') throw new AppError('invalid_passkey', 'The passkey could not be verified; try again, or answer with a code.', { status: 401 });
      throw new AppError('invalid_code', 'The code is not valid (wrong, expired, or already used).', { status: 401 });
    }
    log.info({ ...line, outcome: 'passed' }, 'second factor passed');
    // The account as read with the challenge, now: one disabled since its password was checked is refused by the pipeline.
    return {
      account,
      amr: [...challenge.amr, ...PROVES[method]],
      door: 'second-factor',
      userAgent: input.userAgent ?? null,
      meta: input.meta,
      clientId: input.clientId,
    };
  }

  /** A passkey's answer as a fragment of the challenge's one statement; undefined (a wrong answer) when it is refused already. */
  private passkeyAnswering(challenge: OpenChallenge, input: MfaAnswer, log: Logger): Promise<Fragment | undefined> {
    const { passkeys } = this.deps;
    if (!passkeys || !input.passkey) return Promise.resolve(undefined);
    return passkeys.answering({ userId: challenge.account.id, response: input.passkey, meta: input.meta }, log);
  }
}
