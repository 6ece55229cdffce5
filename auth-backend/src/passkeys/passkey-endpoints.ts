/**
 * The caller's passkeys (/auth/passkeys): registration options and registration, list, rename,
 * removal. Registering and removing need the second factor when the account has one (an active
 * TOTP factor), so that a stolen password alone cannot add or take away a way in.
 */
import { endpoint, type AnyEndpoint } from '../http/endpoint';
import { AppError } from '../errors';
import { lacksOwnSecondFactor, type Authenticated } from '../domain/user';
import { requestMeta } from '../http/request-meta';
import type { PasskeyService } from './passkey-service';
import { CreationOptionsResponse, PasskeyList, PasskeyParams, PasskeyResponse, RegistrationBody, RenameBody, toPasskeyBody } from './passkey-schemas';

/** "Bearer (second factor when the account has one)": 403 mfa_required for a session that did not pass the account's second factor. */
async function secondFactorWhenEnabled({ auth }: { auth?: Authenticated }): Promise<void> {
  if (!auth || lacksOwnSecondFactor(auth)) {
    throw new AppError('mfa_required', 'Sign in again with your second factor (a code from your authenticator app, a recovery code or a passkey) to do this.');
  }
}

export function passkeyEndpoints(passkeys: PasskeyService): AnyEndpoint[] {
  const tag = 'passkeys';
  return [
    endpoint({
      method: 'post',
      path: '/auth/passkeys/registration/options',
      operationId: 'passkeyRegistrationOptions',
      summary: 'Options for creating a passkey (navigator.credentials.create)',
      description:
        'A discoverable credential (`residentKey: "required"`), user verification required, attestation `none`, the RP id named, and the ' +
        "account's passkeys in `excludeCredentials`. The challenge is single use and answerable for 5 minutes. Needs a session that passed " +
        'the second factor when the account has one (403 `mfa_required`).',
      tag,
      bearer: true,
      before: secondFactorWhenEnabled,
      success: { status: 200, description: 'The options, for @simplewebauthn/browser startRegistration({ optionsJSON })', schema: CreationOptionsResponse },
      failures: [401, 403],
      handle: async ({ auth, log }) => CreationOptionsResponse.parse({ options: await passkeys.registrationOptions(auth, log) }),
    }),
    endpoint({
      method: 'post',
      path: '/auth/passkeys/registration',
      operationId: 'registerPasskey',
      summary: 'Add a passkey: the response to the registration options',
      description:
        'Stores the passkey and sends a notice mail. 400 `invalid_passkey` for a wrong or spent challenge, another origin or RP id, no user ' +
        'presence or verification, an algorithm the options did not offer (EdDSA, ES256, RS256), or a credential already registered. ' +
        'A passkey is a way in of its own: it does not turn the second factor on.',
      tag,
      bearer: true,
      before: secondFactorWhenEnabled,
      body: RegistrationBody,
      success: { status: 201, description: 'The new passkey', schema: PasskeyResponse },
      failures: [400, 401, 403],
      handle: async ({ auth, body, req, log }) => PasskeyResponse.parse({ passkey: toPasskeyBody(await passkeys.register(auth, body, log, requestMeta(req))) }),
    }),
    endpoint({
      method: 'get',
      path: '/auth/passkeys',
      operationId: 'listPasskeys',
      summary: "The caller's passkeys",
      tag,
      bearer: true,
      success: { status: 200, description: 'Oldest first', schema: PasskeyList },
      failures: [401],
      handle: async ({ auth }) => PasskeyList.parse({ passkeys: (await passkeys.list(auth)).map(toPasskeyBody) }),
    }),
    endpoint({
      method: 'patch',
      path: '/auth/passkeys/{id}',
      operationId: 'renamePasskey',
      summary: 'Rename a passkey',
      tag,
      bearer: true,
      params: PasskeyParams,
      body: RenameBody,
      success: { status: 200, description: 'The renamed passkey', schema: PasskeyResponse },
      failures: [400, 401, 404],
      handle: async ({ auth, body, req, log }) =>
        PasskeyResponse.parse({ passkey: toPasskeyBody(await passkeys.rename(auth, String(req.params.id), body.name, log)) }),
    }),
    endpoint({
      method: 'delete',
      path: '/auth/passkeys/{id}',
      operationId: 'removePasskey',
      summary: 'Remove a passkey',
      description:
        'Sends a notice mail. Refused (409 `last_sign_in_method`) when it is the only way to sign in: no password, no provider identity and ' +
        'no other passkey. Needs a session that passed the second factor when the account has one (403 `mfa_required`).',
      tag,
      bearer: true,
      before: secondFactorWhenEnabled,
      params: PasskeyParams,
      success: { status: 204, description: 'The passkey no longer signs in' },
      failures: [401, 403, 404, 409],
      handle: async ({ auth, req, log }) => passkeys.remove(auth, String(req.params.id), log, requestMeta(req)),
    }),
  ];
}
