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
import { hasSecondFactor } from '../domain/user';
import type { GatedSignInAttempt, SecondFactorRequired, SecondFactorStep, SignedIn, SignInAttempt, SignInOutcome } from './sign-in-attempt';

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

/** The CTE of the one-statement sign-in that holds the account (tables/users.ts signingIn). */
const SIGNING_IN = 'signing_in';

export const accountDisabled = () => new AppError('account_disabled', 'This account is disabled; contact the administrator.');
const emailNotVerified = () => new AppError('email_not_verified', 'Verify your email address before signing in: see the link in the verification mail.');

export class SignInPipeline {
  constructor(private readonly deps: SignInPipelineDeps) {}

  /**
   * Finishes the sign-in: a session, or the second-factor challenge; throws the 403s. A gated
   * attempt whose amr has passed every factor is first tried as one statement (inOneStatement);
   * when that opens nothing, it goes the ordinary way with the account the door then reads.
   */
  async finish(gatedOrNot: SignInAttempt | GatedSignInAttempt, log: Logger): Promise<SignInOutcome> {
    let attempt: SignInAttempt;
    if ('gate' in gatedOrNot) {
      const signedIn = await this.inOneStatement(gatedOrNot);
      if (signedIn) return this.signedIn(gatedOrNot, signedIn, log);
      attempt = { ...gatedOrNot, account: await gatedOrNot.account() };
    } else attempt = gatedOrNot;
    const { account, door } = attempt;
    const line = this.line(attempt, account.id);
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
    return this.signedIn(attempt, await this.openSession(attempt), log);
  }

  /** finish(), for the JSON API's doors: a token pair for the new session, or the challenge. */
  async finishWithTokens(attempt: SignInAttempt | GatedSignInAttempt, log: Logger): Promise<TokenGrant | SecondFactorRequired> {
    const outcome = await this.finish(attempt, log);
    return outcome.kind === 'signed-in' ? tokenGrant(this.deps.tokens, outcome) : outcome;
  }

  private line(attempt: Pick<SignInAttempt, 'door' | 'clientId'>, userId: string) {
    return { event: EVENT[attempt.door], door: attempt.door, userId, ...(attempt.clientId ? { clientId: attempt.clientId } : {}) };
  }

  private signedIn(attempt: Pick<SignInAttempt, 'door' | 'clientId'>, signedIn: SignedIn, log: Logger): SignedIn {
    log.info({ ...this.line(attempt, signedIn.user.id), outcome: 'success', sessionId: signedIn.sessionId, amr: signedIn.amr }, 'signed in');
    if (attempt.door !== 'registration') this.deps.onOutcome?.('success');
    return signedIn;
  }

  /**
   * The session, lastSignInAt and the user.login event (with what reacts to it), together: one
   * statement when every reaction is SQL, else one transaction.
   */
  private async openSession(attempt: SignInAttempt): Promise<SignedIn> {
    const { transaction, sessions, users, audit } = this.deps;
    const { account, amr, userAgent } = attempt;
    const { disabledAt, ...user } = account;
    const session = sessions.prepare();
    const event = this.loginEvent(attempt, user.id, session.sessionId);
    const together = audit.writes(event);
    if (together) await sessions.open(session, user.id, amr, userAgent, [users.signInRecorded(user.id), together.fragment]);
    else
      await transaction(async (tx) => {
        await sessions.in(tx).open(session, user.id, amr, userAgent, [users.signInRecorded(user.id)]);
        await audit.in(tx).record(event);
      });
    return { kind: 'signed-in', user, amr, sessionId: session.sessionId, refreshToken: session.refreshToken };
  }

  /**
   * A gated attempt in one statement: the door's gate, the account read and judged by the rules
   * finish() applies (tables/users.ts signingIn says them in SQL), the session, lastSignInAt and
   * the user.login event with its reactions. Undefined when it opened nothing (and so changed
   * nothing): the gate or a rule refused, or the attempt needs what one statement cannot do (a
   * second factor to ask for, an event a subscriber must see).
   */
  private async inOneStatement(attempt: GatedSignInAttempt): Promise<SignedIn | undefined> {
    const { sessions, users, audit, requireVerifiedEmail } = this.deps;
    const { userId, amr, gate } = attempt;
    if (!hasSecondFactor(amr)) return undefined;
    const session = sessions.prepare();
    const together = audit.writes(this.loginEvent(attempt, userId, session.sessionId));
    if (!together) return undefined;
    const owner = { fragments: [...gate.fragments, users.signingIn(userId, gate.name, requireVerifiedEmail, SIGNING_IN)], name: SIGNING_IN };
    const user = await sessions.openIf(session, owner, amr, attempt.userAgent, [users.signInRecorded(userId), together.fragment]);
    return user && { kind: 'signed-in', user, amr, sessionId: session.sessionId, refreshToken: session.refreshToken };
  }

  private loginEvent(attempt: Pick<SignInAttempt, 'amr' | 'meta' | 'clientId' | 'door'>, userId: string, sessionId: string) {
    const { amr, meta, clientId } = attempt;
    return {
      type: 'user.login' as const,
      userId,
      meta,
      data: { sessionId, amr, door: attempt.door, ...(clientId ? { clientId } : {}) },
    };
  }
}
