/**
 * What a sign-in door hands the one sign-in pipeline (sign-in-pipeline.ts), and what it gets back.
 * A door (password, provider, second factor, passkey, the provider's hosted pages) checks its own
 * credential; everything after that is the pipeline's.
 */
import type { Account, AuthMethod, User } from '../domain/user';
import type { RequestMeta } from '../domain/audit';
import type { Fragment } from '../db/statement';

/** The way in, for logs and events; registration's first session is the one sign-in an unverified address always gets. */
export type Door = 'registration' | 'password' | 'provider' | 'second-factor' | 'passkey';

export interface SignInAttempt {
  /** The account as the door read it in this request (its disabledAt decides). */
  account: Account;
  /** What the person has proved so far (RFC 8176), e.g. ['pwd'], or ['pwd', 'otp'] after the second factor. */
  amr: AuthMethod[];
  door: Door;
  userAgent: string | null;
  meta?: RequestMeta;
  /** The provider client a hosted sign-in serves (its user.login event names it). */
  clientId?: string;
}

/**
 * A sign-in whose credential is settled by SQL (a passkey: the challenge it signed spent, its use
 * recorded under the counter rule), so that the whole sign-in can be one statement: the pipeline
 * puts `gate` in front of its own, and opens the session only when the gate's CTE has a row and
 * the account may sign in. When that statement does not open one, nothing of it happened, and
 * the pipeline asks the door for `account()`: its own statement(s), which refuse with the reason
 * or hand over the account as any door does.
 */
export interface GatedSignInAttempt extends Omit<SignInAttempt, 'account'> {
  /** The account the credential names. */
  userId: string;
  /** Fragments defining CTE `name`, with a row only when the door's credential passed. */
  gate: { fragments: readonly Fragment[]; name: string };
  account(): Promise<Account>;
}

/** A finished sign-in: a new session of the service (listed by GET /auth/sessions). */
export interface SignedIn {
  kind: 'signed-in';
  user: User;
  sessionId: string;
  /** The session's first refresh token (the JSON API hands it out; a hosted sign-in keeps it unused). */
  refreshToken: string;
  amr: AuthMethod[];
}

export type SecondFactorMethod = 'totp' | 'recovery_code' | 'passkey';

/** The first factor was right; the account has a second factor that this sign-in has not passed yet. */
export interface SecondFactorRequired {
  kind: 'second-factor-required';
  /** Opaque, single use, 5 minutes; good only for passing the second factor (mfa/). */
  mfaToken: string;
  methods: SecondFactorMethod[];
}

export type SignInOutcome = SignedIn | SecondFactorRequired;

/** The step that asks for a second factor; mfa/second-factor-step.ts is it (the pipeline knows only this shape). */
export interface SecondFactorStep {
  /** A challenge when `account` has a second factor that `amr` has not passed; undefined otherwise. */
  challenge(account: Account, amr: AuthMethod[]): Promise<SecondFactorRequired | undefined>;
}
