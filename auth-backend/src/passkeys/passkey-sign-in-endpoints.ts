/**
 * Signing in with a passkey through the JSON API: the username-less door
 * (/auth/passkeys/authentication), and the options of a passkey as second factor
 * (/auth/mfa/passkey/options; the answer goes to POST /auth/mfa/verify with the mfaToken).
 * Both options endpoints store a challenge, so they are throttled per client IP.
 */
import { endpoint, type AnyEndpoint } from '../http/endpoint';
import { ipLimitHook } from '../throttle/ip-throttle-hook';
import { RATE_LIMIT_HEADER_NAMES } from '../throttle/window-limit';
import type { LoginThrottle } from '../throttle/login-throttle';
import { TokenResponse, tokenBody } from '../tokens/token-response';
import { passedEveryFactor } from '../sign-in/sign-in-response';
import type { SignInPipeline } from '../sign-in/sign-in-pipeline';
import { requestMeta, userAgentOf } from '../http/request-meta';
import type { PasskeySignIn } from './passkey-sign-in';
import type { PasskeySecondFactor } from './passkey-second-factor';
import { AuthenticationBody, MfaPasskeyOptionsBody, RequestOptionsResponse, SignInOptionsResponse } from './passkey-schemas';

export function passkeySignInEndpoints(
  signIn: PasskeySignIn,
  secondFactor: PasskeySecondFactor,
  pipeline: SignInPipeline,
  throttle: LoginThrottle,
): AnyEndpoint[] {
  const limitByIp = ipLimitHook(throttle);
  return [
    endpoint({
      method: 'post',
      path: '/auth/passkeys/authentication/options',
      operationId: 'passkeySignInOptions',
      summary: 'Options for signing in with a passkey, username-less (navigator.credentials.get)',
      description:
        'Empty `allowCredentials` (the browser offers the discoverable passkeys it holds for this RP id), user verification required. ' +
        'Send `challengeId` back with the response; the challenge is single use and answerable for 5 minutes. Throttled per client IP.',
      tag: 'passkeys',
      before: limitByIp('passkey-options'),
      success: { status: 200, description: 'The options, for @simplewebauthn/browser startAuthentication({ optionsJSON })', schema: SignInOptionsResponse },
      successHeaders: RATE_LIMIT_HEADER_NAMES,
      failures: [429],
      handle: async ({ log }) => SignInOptionsResponse.parse(await signIn.options(log)),
    }),
    endpoint({
      method: 'post',
      path: '/auth/passkeys/authentication',
      operationId: 'passkeySignIn',
      summary: 'Sign in with a passkey',
      description:
        'A valid assertion to the options of `challengeId` signs its account in, with no password and no further factor (amr `hwk`, `mfa`). ' +
        'Every failure of the assertion (unknown or spent challenge, unknown passkey, another origin or RP id, no user verification, a bad ' +
        'signature, a counter that did not increase) answers the same 401 `invalid_passkey`. A disabled account: 403 `account_disabled`; ' +
        "with REQUIRE_VERIFIED_EMAIL, an unproved address: 403 `email_not_verified`. Every attempt counts on the client IP's login window, " +
        "like a password login (counted within the sign-in's own statement); past it, 429 with Retry-After.",
      tag: 'passkeys',
      body: AuthenticationBody,
      success: { status: 200, description: 'A token pair for a new session (amr hwk, mfa)', schema: TokenResponse },
      failures: [400, 401, 403, 429],
      handle: async ({ body, req, log }) => {
        const attempt = await signIn.authenticate({ ...body, ip: req.ip ?? 'unknown', userAgent: userAgentOf(req), meta: requestMeta(req) }, log);
        // amr hwk + mfa has passed every factor there is: the pipeline asks for no other.
        return tokenBody(passedEveryFactor(await pipeline.finishWithTokens(attempt, log)));
      },
    }),
    endpoint({
      method: 'post',
      path: '/auth/mfa/passkey/options',
      operationId: 'mfaPasskeyOptions',
      summary: 'Options for passing the second factor with a passkey',
      description:
        "For the mfaToken of a sign-in whose `methods` list `passkey`: the account's passkeys in `allowCredentials`, user verification " +
        'required. Send the response to POST /auth/mfa/verify as `{ mfaToken, passkey }`. 409 `no_passkey` when the account has none. ' +
        'Throttled per client IP.',
      tag: 'mfa',
      body: MfaPasskeyOptionsBody,
      before: limitByIp('passkey-options'),
      success: { status: 200, description: 'The options, for @simplewebauthn/browser startAuthentication({ optionsJSON })', schema: RequestOptionsResponse },
      successHeaders: RATE_LIMIT_HEADER_NAMES,
      failures: [400, 401, 409, 429],
      handle: async ({ body, log }) => RequestOptionsResponse.parse(await secondFactor.options(body.mfaToken, log)),
    }),
  ];
}
