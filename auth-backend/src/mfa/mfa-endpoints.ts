import { endpoint, type AnyEndpoint } from '../http/endpoint';
import { TokenResponse, tokenBody } from '../tokens/token-response';
import { passedEveryFactor } from '../sign-in/sign-in-response';
import type { SignInPipeline } from '../sign-in/sign-in-pipeline';
import { requestMeta, userAgentOf } from '../http/request-meta';
import { requireSecondFactor, type MfaService } from './mfa-service';
import type { MfaVerification } from './mfa-verification';
import { MfaVerifyBody, RecoveryCodesResponse, TotpCodeBody, TotpSetupResponse } from './mfa-schemas';

/** The second factor of docs/api.md (v3): /auth/mfa. */
export function mfaEndpoints(mfa: MfaService, verification: MfaVerification, pipeline: SignInPipeline): AnyEndpoint[] {
  const tag = 'mfa';
  return [
    endpoint({
      method: 'post',
      path: '/auth/mfa/totp/setup',
      operationId: 'setupTotp',
      summary: 'Set up a TOTP factor (pending until confirmed)',
      description: 'A new setup replaces a pending factor. The secret is shown only in this response.',
      tag,
      bearer: true,
      success: { status: 200, description: 'The secret and the otpauth URL for an authenticator app', schema: TotpSetupResponse },
      failures: [401, 409],
      handle: async ({ auth, log }) => TotpSetupResponse.parse(await mfa.setupTotp(auth, log)),
    }),
    endpoint({
      method: 'post',
      path: '/auth/mfa/totp/confirm',
      operationId: 'confirmTotp',
      summary: 'Activate the pending TOTP factor with a code from it',
      description: 'Issues 10 recovery codes, revokes every other session and sends a notice mail.',
      tag,
      bearer: true,
      body: TotpCodeBody,
      success: { status: 200, description: 'The factor is active; the recovery codes, shown only here', schema: RecoveryCodesResponse },
      failures: [400, 401, 409, 429],
      handle: async ({ auth, body, req, log }) => RecoveryCodesResponse.parse(await mfa.confirmTotp(auth, body.code, log, requestMeta(req))),
    }),
    endpoint({
      method: 'post',
      path: '/auth/mfa/verify',
      operationId: 'verifyMfa',
      summary: 'Complete a sign-in with a TOTP code, a recovery code or a passkey',
      description:
        'The mfaToken comes from the mfaRequired login body. A wrong code answers 401 `invalid_code`, a refused passkey 401 `invalid_passkey`; ' +
        'the mfaToken survives up to 5 wrong answers. Wrong answers count toward the per-account login throttle (429). ' +
        "Every answer counts on the client IP's login window, like a password login (a right code within the sign-in's own statement); past it, 429 with Retry-After. " +
        'A passkey answer (`passkey`: the response to POST /auth/mfa/passkey/options) adds amr `hwk` and `mfa`.',
      tag,
      body: MfaVerifyBody,
      success: { status: 200, description: 'A token pair for a new session (amr: first factor + otp, mfa, or hwk and mfa)', schema: TokenResponse },
      failures: [400, 401, 403, 429],
      handle: async ({ body, req, log }) => {
        const attempt = await verification.verify({ ...body, ip: req.ip ?? 'unknown', userAgent: userAgentOf(req), meta: requestMeta(req) }, log);
        return tokenBody(passedEveryFactor(await pipeline.finishWithTokens(attempt, log)));
      },
    }),
    endpoint({
      method: 'post',
      path: '/auth/mfa/recovery-codes',
      operationId: 'regenerateRecoveryCodes',
      summary: 'Replace the recovery codes (second factor required)',
      description: 'Needs an access token from a sign-in that passed the second factor (amr otp or mfa), else 403 `mfa_required`.',
      tag,
      bearer: true,
      before: requireSecondFactor,
      success: { status: 200, description: 'The new recovery codes; the old ones stop working', schema: RecoveryCodesResponse },
      failures: [401, 403, 409],
      handle: async ({ auth, req, log }) => RecoveryCodesResponse.parse(await mfa.regenerateRecoveryCodes(auth, log, requestMeta(req))),
    }),
    endpoint({
      method: 'delete',
      path: '/auth/mfa/totp',
      operationId: 'disableTotp',
      summary: 'Remove the TOTP factor and its recovery codes (second factor required)',
      description:
        'Needs a current code, and an access token from a sign-in that passed the second factor, else 403 `mfa_required`. Sends a notice mail. ' +
        'The code counts on the per-account login throttle (429 past it).',
      tag,
      bearer: true,
      before: requireSecondFactor,
      body: TotpCodeBody,
      success: { status: 204, description: 'The factor and its recovery codes are gone' },
      failures: [400, 401, 403, 409, 429],
      handle: async ({ auth, body, req, log }) => mfa.disableTotp(auth, body.code, log, requestMeta(req)),
    }),
  ];
}
