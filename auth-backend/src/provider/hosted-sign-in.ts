/**
 * The hosted pages as the second front door of the one sign-in pipeline (sign-in/): each step
 * checks its credential through the same door the JSON API uses (the password door of auth/, the
 * second factor of mfa/, the provider sign-in of oidc/, the passkey door of passkeys/) and hands the attempt, naming the client
 * the sign-in serves, to SignInPipeline.finish. So throttles, disabled accounts,
 * REQUIRE_VERIFIED_EMAIL, the second factor, the session, lastSignInAt and the user.login event
 * (with data.clientId) hold here by construction. Knows nothing of HTTP.
 */
import type { Logger } from '../logger';
import type { RequestMeta } from '../domain/audit';
import type { AuthService } from '../auth/auth-service';
import type { MfaVerification } from '../mfa/mfa-verification';
import type { OidcSignIn } from '../oidc/oidc-sign-in';
import type { PasskeySignIn } from '../passkeys/passkey-sign-in';
import type { AuthenticationResponse } from '../passkeys/webauthn-schemas';
import type { SignInPipeline } from '../sign-in/sign-in-pipeline';
import type { SignInOutcome } from '../sign-in/sign-in-attempt';
import type { LoginThrottle } from '../throttle/login-throttle';

export interface HostedSignInDeps {
  auth: AuthService;
  mfa: MfaVerification;
  oidc: OidcSignIn;
  passkeys: PasskeySignIn;
  pipeline: SignInPipeline;
  throttle: LoginThrottle;
}

/** Who is signing in, and for which client. */
export interface SignInContext {
  clientId: string;
  ip: string;
  userAgent: string | null;
  meta: RequestMeta;
}

export class HostedSignIn {
  constructor(private readonly deps: HostedSignInDeps) {}

  /** Email and password; counted per client IP like POST /auth/login, and per account by the password door. */
  async password(input: { email: string; password: string }, context: SignInContext, log: Logger, signal?: AbortSignal): Promise<SignInOutcome> {
    await this.deps.throttle.consumeIp('login', context.ip);
    const attempt = await this.deps.auth.passwordSignIn(
      { ...input, userAgent: context.userAgent, meta: context.meta, clientId: context.clientId },
      log,
      signal,
    );
    return this.deps.pipeline.finish(attempt, log);
  }

  /** A username-less passkey sign-in (the page's button or autofill); counted per client IP like POST /auth/passkeys/authentication (by the door). */
  async passkey(input: { challengeId: string; response: AuthenticationResponse }, context: SignInContext, log: Logger): Promise<SignInOutcome> {
    const attempt = await this.deps.passkeys.authenticate(
      { ...input, ip: context.ip, userAgent: context.userAgent, meta: context.meta, clientId: context.clientId },
      log,
    );
    return this.deps.pipeline.finish(attempt, log);
  }

  /** A TOTP code, a recovery code or a passkey for the sign-in waiting on `mfaToken`; counted like POST /auth/mfa/verify. */
  async secondFactor(
    input: { mfaToken: string; code?: string; recoveryCode?: string; passkey?: AuthenticationResponse },
    context: SignInContext,
    log: Logger,
  ): Promise<SignInOutcome> {
    const attempt = await this.deps.mfa.verify({ ...input, ip: context.ip, userAgent: context.userAgent, meta: context.meta, clientId: context.clientId }, log);
    return this.deps.pipeline.finish(attempt, log);
  }

  /** The one-time code an external provider's sign-in (oidc/) came back with to this interaction. */
  async externalProvider(code: string, context: SignInContext, log: Logger): Promise<SignInOutcome> {
    const attempt = await this.deps.oidc.exchange(code, context.userAgent, log, context.meta);
    return this.deps.pipeline.finish({ ...attempt, clientId: context.clientId }, log);
  }
}
