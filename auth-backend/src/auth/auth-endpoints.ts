import { endpoint, type AnyEndpoint } from '../http/endpoint';
import { ipLimitHook } from '../throttle/ip-throttle-hook';
import { RATE_LIMIT_HEADER_NAMES } from '../throttle/window-limit';
import type { LoginThrottle } from '../throttle/login-throttle';
import { toUserBody } from '../users/user-body';
import type { AuthService } from './auth-service';
import { ChangePasswordBody, LoginBody, MeResponse, RegisterBody } from './auth-schemas';
import type { z } from '../http/zod';
import { requestMeta, userAgentOf } from '../http/request-meta';
import { TokenResponse, tokenBody } from '../tokens/token-response';
import { LoginResponse, passedEveryFactor, signInBody } from '../sign-in/sign-in-response';
import type { SignInPipeline } from '../sign-in/sign-in-pipeline';

type MeResponseBody = z.input<typeof MeResponse>;

/** The password door and the caller's own account: register, login, password change, /auth/me. */
export function authEndpoints(auth: AuthService, pipeline: SignInPipeline, throttle: LoginThrottle): AnyEndpoint[] {
  const limitByIp = ipLimitHook(throttle);
  const tag = 'auth';

  return [
    endpoint({
      method: 'post',
      path: '/auth/register',
      operationId: 'register',
      summary: 'Create an account and sign in',
      tag,
      body: RegisterBody,
      before: limitByIp('register'),
      success: { status: 201, description: 'Account created; a token pair for its first session', schema: TokenResponse },
      successHeaders: RATE_LIMIT_HEADER_NAMES,
      failures: [400, 409, 429],
      handle: async ({ body, req, log, signal }) => {
        const attempt = await auth.register(
          { email: body.email, password: body.password, name: body.name ?? null, userAgent: userAgentOf(req), meta: requestMeta(req) },
          log,
          signal,
        );
        // A new account has no second factor yet: its first session, at once.
        return tokenBody(passedEveryFactor(await pipeline.finishWithTokens(attempt, log)));
      },
    }),
    endpoint({
      method: 'post',
      path: '/auth/login',
      operationId: 'login',
      summary: 'Sign in with email and password',
      description:
        'Unknown email and wrong password give the same answer. Throttled per client IP and per account. ' +
        'An account with an active second factor gets `{ mfaRequired: true, mfaToken, methods }` and no tokens: POST /auth/mfa/verify completes the sign-in.',
      tag,
      body: LoginBody,
      before: limitByIp('login'),
      success: { status: 200, description: 'A token pair for a new session, or (second factor) the mfaRequired body', schema: LoginResponse },
      successHeaders: RATE_LIMIT_HEADER_NAMES,
      // 403 email_not_verified only with REQUIRE_VERIFIED_EMAIL, and only after the right password.
      // 403 account_disabled after the right password of a disabled account.
      failures: [400, 401, 403, 429],
      handle: async ({ body, req, log, signal }) => {
        const attempt = await auth.passwordSignIn({ ...body, userAgent: userAgentOf(req), meta: requestMeta(req) }, log, signal);
        return signInBody(await pipeline.finishWithTokens(attempt, log));
      },
    }),
    endpoint({
      method: 'get',
      path: '/auth/me',
      operationId: 'me',
      summary: 'The current user',
      tag,
      bearer: true,
      success: { status: 200, description: 'The user behind the access token', schema: MeResponse },
      failures: [401],
      // Not parsed on the way out: toUserBody builds the public fields and nothing else (the hottest endpoint).
      handle: async ({ auth: caller }): Promise<MeResponseBody> => ({ user: toUserBody(caller.user) }),
    }),
    endpoint({
      method: 'post',
      path: '/auth/password',
      operationId: 'changePassword',
      summary: 'Change the password',
      description:
        'Every other session of the user is revoked; the calling session keeps working. The current password counts on the per-account login throttle (429 past it).',
      tag,
      bearer: true,
      body: ChangePasswordBody,
      success: { status: 204, description: 'Password changed' },
      failures: [400, 401, 409, 429],
      handle: async ({ auth: caller, body, req, log }) => auth.changePassword(caller, body, log, requestMeta(req)),
    }),
  ];
}
