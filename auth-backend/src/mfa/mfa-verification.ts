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
 * not used up by an mfaToken spent meanwhile). A right code is two round trips: the challenge read,
 * then the pipeline's one statement with all of that in front (docs/decisions/0033).
 */
import type { Logger } from '../logger';
import { AppError } from '../errors';
import type { Account, AuthMethod } from '../domain/user';
import { allOf, type Fragment } from '../db/statement';
import type { RequestMeta } from '../domain/audit';
import type { AuditLog } from '../audit/audit-log';
import { MAX_WRONG_CODES, type Answer, type MfaChallengesTable, type OpenChallenge } from '../tables/mfa-challenges';
import { judged, type LoginThrottle } from '../throttle/login-throttle';
import type { GatedSignInAttempt, SignInAttempt } from '../sign-in/sign-in-attempt';
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
  /** The client's IP: every answer counts on its `login` window, like a password. */
  ip: string;
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

/** The CTEs of the one-statement sign-in (a row each when it happened): the IP's count within its limit, the account allowed to try, the challenge passed, all three. */
const WITHIN_IP_LIMIT = 'within_ip_limit';
const ACCOUNT_MAY_TRY = 'account_may_try';
const CHALLENGE_PASSED = 'challenge_passed';
const PASSED = 'second_factor_passed';

export class MfaVerification {
  constructor(private readonly deps: MfaVerificationDeps) {}

  /**
   * The sign-in attempt of an answer, for the pipeline to finish. Every answer counts on the client
   * IP's `login` window. A code (TOTP or recovery) is handed over gated (GatedSignInAttempt): the
   * pipeline's one statement counts the IP, finds the account allowed to try (and resets its
   * count: a success), and spends the code and the challenge. When that statement opens nothing,
   * nothing of it happened, and account() answers on its own: the IP's count (429 past the limit),
   * then one attempt on the account's counter (429 while it waits) that judges the answer (401 for a
   * wrong one). A wrong code goes the same way as a right one, so the time of a refusal says
   * nothing of the code. A passkey answer goes that second way directly.
   */
  async verify(input: MfaAnswer, log: Logger): Promise<SignInAttempt | GatedSignInAttempt> {
    const { mfaChallenges, throttle, codes } = this.deps;
    const challenge = await mfaChallenges.findOpen(input.mfaToken);
    if (!challenge) {
      await throttle.consumeIp('login', input.ip);
      log.info({ event: 'mfa.verify', outcome: 'failure', reason: 'invalid-mfa-token' }, 'second factor refused');
      throw invalidMfaToken();
    }
    const method = methodOf(input);
    const attempt = {
      amr: [...challenge.amr, ...PROVES[method]],
      door: 'second-factor' as const,
      userAgent: input.userAgent ?? null,
      meta: input.meta,
      clientId: input.clientId,
    };
    if (method === 'passkey') {
      await throttle.consumeIp('login', input.ip);
      return { ...attempt, account: await this.answered(challenge, method, () => this.passkeyAnswering(challenge, input, log), input, log) };
    }
    const { account } = challenge;
    const accepting = codes.answering(challenge.factor, account.id, input);
    return {
      ...attempt,
      userId: account.id,
      gate: {
        fragments: [
          throttle.countingIp('login', input.ip, WITHIN_IP_LIMIT),
          throttle.succeeding(account.email, ACCOUNT_MAY_TRY),
          mfaChallenges.passing(challenge.id, accepting, CHALLENGE_PASSED),
          allOf(PASSED, [WITHIN_IP_LIMIT, ACCOUNT_MAY_TRY, CHALLENGE_PASSED]),
        ],
        name: PASSED,
      },
      account: async () => {
        await throttle.consumeIp('login', input.ip);
        return this.answered(challenge, method, () => Promise.resolve(accepting), input, log);
      },
    };
  }

  /**
   * Judges the answer on its own: one attempt on the account's counter, and the challenge answered
   * in one statement (tables/mfa-challenges.ts answer). The account read with the challenge when it
   * passed (one disabled since its password was checked is refused by the pipeline); 401 otherwise,
   * 429 past the account's limit.
   */
  private async answered(
    challenge: OpenChallenge,
    method: Method,
    accepting: () => Promise<Fragment | undefined>,
    input: MfaAnswer,
    log: Logger,
  ): Promise<Account> {
    const { mfaChallenges, throttle, audit } = this.deps;
    const { account } = challenge;
    const line = { event: 'mfa.verify', userId: account.id, method };
    let answer: Answer;
    try {
      answer = await throttle.guard(account.email, async () => {
        const answered = await mfaChallenges.answer(challenge.id, await accepting());
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
    return account;
  }

  /** A passkey's answer as a fragment of the challenge's one statement; undefined (a wrong answer) when it is refused already. */
  private passkeyAnswering(challenge: OpenChallenge, input: MfaAnswer, log: Logger): Promise<Fragment | undefined> {
    const { passkeys } = this.deps;
    if (!passkeys || !input.passkey) return Promise.resolve(undefined);
    return passkeys.answering({ userId: challenge.account.id, response: input.passkey, meta: input.meta }, log);
  }
}
