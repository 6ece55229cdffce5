/**
 * The one place that builds the tests' requests to the contract's endpoints: typed by the same
 * zod schemas that validate the service's input and document it (src/*-schemas.ts), so a test
 * that sends a body the contract does not accept fails to compile. Each call returns supertest's
 * Test (chain `.expect(...)`); `bodyOf` reads a response as its documented type.
 * Hostile-input tests build malformed requests by hand on purpose (test/support/raw-http.ts).
 */
import type { Express } from 'express';
import request from 'supertest';
import type { z } from 'zod';
import type { ChangePasswordBody, LoginBody, MeResponse, RegisterBody } from '../../src/auth/auth-schemas';
import type { TokenResponse } from '../../src/tokens/token-response';
import type { LogoutBody, RefreshBody, SessionsResponse } from '../../src/sessions/session-schemas';
import type { ChangeEmailBody, ForgotPasswordBody, ResetPasswordBody, VerifyEmailBody } from '../../src/account/recovery-schemas';
import type { MfaVerifyBody } from '../../src/mfa/mfa-schemas';
import type { AuthenticationBody, MfaPasskeyOptionsBody, RegistrationBody, RenameBody } from '../../src/passkeys/passkey-schemas';

export type TokenBody = z.output<typeof TokenResponse>;
export type MeBody = z.output<typeof MeResponse>;
export type SessionsBody = z.output<typeof SessionsResponse>;

type Method = 'get' | 'post' | 'patch' | 'delete';

/** A response's body as the documented type of that operation. */
export const bodyOf = <T>(response: { body: unknown }): T => response.body as T;

/** A client of the app in-process (an Express app) or of a running service (its base URL). */
export function apiClient(target: Express | string) {
  const call = (method: Method, path: string, options: { body?: object; token?: string } = {}) => {
    let test = request(target)[method](path);
    if (options.token !== undefined) test = test.set('Authorization', `Bearer ${options.token}`);
    return options.body === undefined ? test : test.send(options.body);
  };
  return {
    register: (body: z.input<typeof RegisterBody>) => call('post', '/auth/register', { body }),
    login: (body: z.input<typeof LoginBody>) => call('post', '/auth/login', { body }),
    refresh: (body: z.input<typeof RefreshBody>) => call('post', '/auth/refresh', { body }),
    logout: (body: z.input<typeof LogoutBody>) => call('post', '/auth/logout', { body }),
    logoutAll: (token: string) => call('post', '/auth/logout-all', { token }),
    me: (token: string) => call('get', '/auth/me', { token }),
    changePassword: (token: string, body: z.input<typeof ChangePasswordBody>) => call('post', '/auth/password', { token, body }),
    sessions: (token: string) => call('get', '/auth/sessions', { token }),
    revokeSession: (token: string, id: string) => call('delete', `/auth/sessions/${encodeURIComponent(id)}`, { token }),
    forgotPassword: (body: z.input<typeof ForgotPasswordBody>) => call('post', '/auth/password/forgot', { body }),
    resetPassword: (body: z.input<typeof ResetPasswordBody>) => call('post', '/auth/password/reset', { body }),
    verifyEmail: (body: z.input<typeof VerifyEmailBody>) => call('post', '/auth/email/verify', { body }),
    resendVerification: (token: string) => call('post', '/auth/email/verify/resend', { token }),
    changeEmail: (token: string, body: z.input<typeof ChangeEmailBody>) => call('post', '/auth/email/change', { token, body }),
    mfaVerify: (body: z.input<typeof MfaVerifyBody>) => call('post', '/auth/mfa/verify', { body }),
    passkeyRegistrationOptions: (token: string) => call('post', '/auth/passkeys/registration/options', { token }),
    registerPasskey: (token: string, body: z.input<typeof RegistrationBody>) => call('post', '/auth/passkeys/registration', { token, body }),
    passkeys: (token: string) => call('get', '/auth/passkeys', { token }),
    renamePasskey: (token: string, id: string, body: z.input<typeof RenameBody>) => call('patch', `/auth/passkeys/${encodeURIComponent(id)}`, { token, body }),
    removePasskey: (token: string, id: string) => call('delete', `/auth/passkeys/${encodeURIComponent(id)}`, { token }),
    passkeySignInOptions: () => call('post', '/auth/passkeys/authentication/options'),
    passkeySignIn: (body: z.input<typeof AuthenticationBody>) => call('post', '/auth/passkeys/authentication', { body }),
    mfaPasskeyOptions: (body: z.input<typeof MfaPasskeyOptionsBody>) => call('post', '/auth/mfa/passkey/options', { body }),
  };
}

export type ApiClient = ReturnType<typeof apiClient>;
