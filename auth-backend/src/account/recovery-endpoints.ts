import { requestMeta } from '../http/request-meta';
import { endpoint, type AnyEndpoint } from '../http/endpoint';
import { ipLimitHook } from '../throttle/ip-throttle-hook';
import { RATE_LIMIT_HEADER_NAMES } from '../throttle/window-limit';
import type { MailThrottle } from '../throttle/mail-throttle';
import { MeResponse } from '../auth/auth-schemas';
import { toUserBody } from '../users/user-body';
import type { RecoveryService } from './recovery-service';
import { AcceptedResponse, ChangeEmailBody, ForgotPasswordBody, ResetPasswordBody, VerifyEmailBody } from './recovery-schemas';

const accepted = (message: string) => AcceptedResponse.parse({ message });
const CLIENT_PAGES =
  'Serve the page behind the link with `Referrer-Policy: no-referrer`, read the token from its query string and POST it here; never forward it elsewhere.';

/** The email half of docs/api.md: verification and account recovery. */
export function recoveryEndpoints(recovery: RecoveryService, throttle: MailThrottle): AnyEndpoint[] {
  const limitByIp = ipLimitHook(throttle);
  const tag = 'account recovery';

  return [
    endpoint({
      method: 'post',
      path: '/auth/password/forgot',
      operationId: 'forgotPassword',
      summary: 'Ask for a password reset mail',
      description:
        'Always 202 with the same body and similar timing, whether or not an account has this address; if one does, a reset link is mailed ' +
        '(only the newest link works). Throttled per client IP and per address.',
      tag,
      body: ForgotPasswordBody,
      before: limitByIp('forgot'),
      success: { status: 202, description: 'Accepted; a reset mail is on its way if the account exists', schema: AcceptedResponse },
      successHeaders: RATE_LIMIT_HEADER_NAMES,
      failures: [400, 429],
      handle: async ({ body, log }) => {
        await recovery.forgotPassword(body.email, log);
        return accepted('If an account has this address, a password reset link is on its way.');
      },
    }),
    endpoint({
      method: 'post',
      path: '/auth/password/reset',
      operationId: 'resetPassword',
      summary: 'Set a new password with the token from a reset mail',
      description: `The token is spent, every session of the user is revoked, and a notice is mailed. ${CLIENT_PAGES}`,
      tag,
      body: ResetPasswordBody,
      success: { status: 204, description: 'Password changed; every session revoked' },
      failures: [400],
      handle: async ({ body, req, log }) => recovery.resetPassword(body, log, requestMeta(req)),
    }),
    endpoint({
      method: 'post',
      path: '/auth/email/verify',
      operationId: 'verifyEmail',
      summary: 'Verify an address with the token from a verification mail',
      description: `Also completes an email change (409 when another account took the address meanwhile). Verifying twice is not an error. ${CLIENT_PAGES}`,
      tag,
      body: VerifyEmailBody,
      success: { status: 200, description: 'The user, with emailVerified: true', schema: MeResponse },
      failures: [400, 409],
      handle: async ({ body, req, log }) => MeResponse.parse({ user: toUserBody(await recovery.verifyEmail(body.token, log, requestMeta(req))) }),
    }),
    endpoint({
      method: 'post',
      path: '/auth/email/verify/resend',
      operationId: 'resendVerification',
      summary: 'Mail a new verification link',
      description: 'Nothing is sent when the address is already verified. Throttled per client IP and per address.',
      tag,
      bearer: true,
      before: limitByIp('resend'),
      success: { status: 202, description: 'Accepted; a verification mail is on its way unless already verified', schema: AcceptedResponse },
      successHeaders: RATE_LIMIT_HEADER_NAMES,
      failures: [401, 429],
      handle: async ({ auth, log }) => {
        await recovery.resendVerification(auth, log);
        return accepted('Unless the address is already verified, a verification link is on its way.');
      },
    }),
    endpoint({
      method: 'post',
      path: '/auth/email/change',
      operationId: 'changeEmail',
      summary: 'Change the email address (after verifying the new one)',
      description:
        'Mails a verification link to the new address and a notice to the old one; the address changes when the link is used. ' +
        '409 when another account has the new address. Throttled per client IP and per address.',
      tag,
      bearer: true,
      body: ChangeEmailBody,
      before: limitByIp('change'),
      success: { status: 202, description: 'Accepted; verification mail sent to the new address', schema: AcceptedResponse },
      successHeaders: RATE_LIMIT_HEADER_NAMES,
      failures: [400, 401, 409, 429],
      handle: async ({ auth, body, log, signal }) => {
        await recovery.changeEmail(auth, body, log, signal);
        return accepted('A verification link is on its way to the new address.');
      },
    }),
  ];
}
