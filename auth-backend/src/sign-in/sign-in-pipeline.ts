/**
 * The one end of every sign-in, whatever the door: password, provider, second factor, passkey, and
 * the provider's hosted pages. Each door checks its credential (under the account throttle) and
 * hands over the account it read; this is where the rules that hold for every door live, once:
 *
 *   disabled account -> 403 account_disabled (user.login_failed event, no session)
 *   REQUIRE_VERIFIED_EMAIL and an unproved address -> 403 email_not_verified
 *   a second factor not passed yet -> the second-factor step's challenge (mfa/), no session
 *   otherwise -> a session with the sign-in's amr, lastSignInAt, the user.login event: one transaction
 *
 * Knows nothing of HTTP and of the doors; the second-factor step is handed in (it lives in mfa/,
 * whose verification ends here again).
 */
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { Transactions } from '../db/transaction';
import type { UsersTable } from '../tables/users';
import type { SessionsTable } from '../tables/sessions';
import type { AuditLog } from '../audit/audit-log';
import type { AccessTokens } from '../tokens/access-tokens';
import { tokenGrant, type TokenGrant } from '../tokens/token-grant';
import type { SecondFactorRequired, SecondFactorStep, SignedIn, SignInAttempt, SignInOutcome } from './sign-in-attempt';

/** What auth_login_attempts_total counts of a sign-in the pipeline ends. */
export type PipelineOutcome = 'success' | 'disabled' | 'unverified';

export interface SignInPipelineDeps {
  transaction: Transactions;
  users: UsersTable;
  sessions: SessionsTable;
  audit: AuditLog;
  secondFactor: SecondFactorStep;
  tokens: AccessTokens;
  /** REQUIRE_VERIFIED_EMAIL. */
  requireVerifiedEmail: boolean;
  /** Metrics: auth_login_attempts_total. */
  onOutcome?: (outcome: PipelineOutcome) => void;
}

/** The log event of each door's sign-in lines (the names the doors have always logged under). */
const EVENT: Record<SignInAttempt['door'], string> = {
  registration: 'auth.sign-in',
  password: 'auth.login',
  provider: 'oidc.exchange',
  'second-factor': 'mfa.verify',
  passkey: 'passkey.sign-in',
};

export const accountDisabled = () => new AppError('account_disabled', 'This account is disabled; contact the administrator.');
const emailNotVerified = () => new AppError('email_not_verified', 'Verify your email address before signing in: see the link in the verification mail.');

export class SignInPipeline {
  constructor(private readonly deps: SignInPipelineDeps) {}

  /** Finishes the sign-in: a session, or the second-factor challenge; throws the 403s. */
  async finish(attempt: SignInAttempt, log: Logger): Promise<SignInOutcome> {
    const { account, door } = attempt;
    const line = { event: EVENT[door], door, userId: account.id, ...(attempt.clientId ? { clientId: attempt.clientId } : {}) };
    if (account.disabledAt) {
      log.info({ ...line, outcome: 'failure', reason: 'account-disabled' }, 'sign-in refused: account disabled');
      await this.deps.audit.record({ type: 'user.login_failed', userId: account.id, meta: attempt.meta, data: { reason: 'account-disabled', door } });
      this.deps.onOutcome?.('disabled');
      throw accountDisabled();
    }
    if (this.deps.requireVerifiedEmail && door !== 'registration' && account.emailVerifiedAt === null) {
      log.info({ ...line, outcome: 'failure', reason: 'email-not-verified' }, 'sign-in refused: email not verified');
      this.deps.onOutcome?.('unverified');
      throw emailNotVerified();
    }
    const challenge = await this.deps.secondFactor.challenge(account, attempt.amr);
    if (challenge) {
      log.info({ ...line, outcome: 'second-factor-required' }, 'first factor accepted: second factor required');
      return challenge;
    }
    const signedIn = await this.openSession(attempt);
    log.info({ ...line, outcome: 'success', sessionId: signedIn.sessionId, amr: signedIn.amr }, 'signed in');
    if (door !== 'registration') this.deps.onOutcome?.('success');
    return signedIn;
  }

  /** finish(), for the JSON API's doors: a token pair for the new session, or the challenge. */
  async finishWithTokens(attempt: SignInAttempt, log: Logger): Promise<TokenGrant | SecondFactorRequired> {
    const outcome = await this.finish(attempt, log);
    return outcome.kind === 'signed-in' ? tokenGrant(this.deps.tokens, outcome) : outcome;
  }

  /**
   * The session, lastSignInAt and the user.login event (with what reacts to it), together: one
   * statement when every reaction is SQL, else one transaction.
   */
  private async openSession(attempt: SignInAttempt): Promise<SignedIn> {
    const { transaction, sessions, users, audit } = this.deps;
    const { account, amr, meta, clientId } = attempt;
    const { disabledAt, ...user } = account;
    const session = sessions.prepare();
    const event = {
      type: 'user.login' as const,
      userId: user.id,
      meta,
      data: { sessionId: session.sessionId, amr, door: attempt.door, ...(clientId ? { clientId } : {}) },
    };
    const together = audit.writes(event);
    if (together) await sessions.open(session, user.id, amr, attempt.userAgent, [users.signInRecorded(user.id), together.fragment]);
    else
      await transaction(async (tx) => {
        await sessions.in(tx).open(session, user.id, amr, attempt.userAgent, [users.signInRecorded(user.id)]);
        await audit.in(tx).record(event);
      });
    return { kind: 'signed-in', user, amr, sessionId: session.sessionId, refreshToken: session.refreshToken };
  }
}
