import { endpoint, type AnyEndpoint } from '../http/endpoint';
import { ipLimitHook } from '../throttle/ip-throttle-hook';
import { RATE_LIMIT_HEADER_NAMES } from '../throttle/window-limit';
import type { LoginThrottle } from '../throttle/login-throttle';
import { toUserBody } from '../users/user-body';
import type { AuthService } from './auth-service';
import {
  ChangePasswordBody,
  LoginBody,
  LoginResponse,
  LogoutBody,
  MeResponse,
  MfaRequiredResponse,
  RefreshBody,
  RegisterBody,
  TokenResponse,
} from './auth-schemas';
import type { SignInResult, TokenGrant } from './auth-service';
import type { z } from '../http/zod';
import { requestMeta, userAgentOf } from '../http/request-meta';

type MeResponseBody = z.input<typeof MeResponse>;

export const tokenBody = (grant: TokenGrant) => TokenResponse.parse({ ...grant, user: toUserBody(grant.user) });
/** A token response, or the mfaRequired body when the account has a second factor. */
export const signInBody = (result: SignInResult) => ('mfaRequired' in result ? MfaRequiredResponse.parse(result) : tokenBody(result));

/** The HTTP contract of ../shared/API.md for /auth. */
export function authEndpoints(auth: AuthService, throttle: LoginThrottle): AnyEndpoint[] {
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
      handle: async ({ body, req, log, signal }) =>
        tokenBody(
          await auth.register(
            { email: body.email, password: body.password, name: body.name ?? null, userAgent: userAgentOf(req), meta: requestMeta(req) },
            log,
            signal,
          ),
        ),
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
      handle: async ({ body, req, log, signal }) => signInBody(await auth.login({ ...body, userAgent: userAgentOf(req), meta: requestMeta(req) }, log, signal)),
    }),
    endpoint({
      method: 'post',
      path: '/auth/refresh',
      operationId: 'refresh',
      summary: 'Exchange a refresh token for a new token pair (rotation)',
      description: 'Presenting an already-rotated refresh token revokes its whole session (reuse detection).',
      tag,
      body: RefreshBody,
      success: { status: 200, description: 'A new token pair; the presented refresh token is spent', schema: TokenResponse },
      failures: [400, 401],
      handle: async ({ body, req, log }) => tokenBody(await auth.refresh(body.refreshToken, log, requestMeta(req))),
    }),
    endpoint({
      method: 'post',
      path: '/auth/logout',
      operationId: 'logout',
      summary: 'Revoke the session of a refresh token',
      description: 'Idempotent: an unknown or already revoked token also answers 204.',
      tag,
      body: LogoutBody,
      success: { status: 204, description: 'The session is revoked' },
      failures: [400],
      handle: async ({ body, req, log }) => auth.logout(body.refreshToken, log, requestMeta(req)),
    }),
    endpoint({
      method: 'post',
      path: '/auth/logout-all',
      operationId: 'logoutAll',
      summary: 'Revoke every session of the current user',
      tag,
      bearer: true,
      success: { status: 204, description: 'Every refresh token of the user is revoked' },
      failures: [401],
      handle: async ({ auth: caller, req, log }) => auth.logoutAll(caller, log, requestMeta(req)),
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
      description: 'Every other session of the user is revoked; the calling session keeps working.',
      tag,
      bearer: true,
      body: ChangePasswordBody,
      success: { status: 204, description: 'Password changed' },
      failures: [400, 401],
      handle: async ({ auth: caller, body, req, log }) => auth.changePassword(caller, body, log, requestMeta(req)),
    }),
  ];
}
