/** The passkey endpoints' bodies and answers (the WebAuthn JSON forms themselves: webauthn-schemas.ts). */
import { z } from '../http/zod';
import type { PasskeyRow } from '../tables/passkeys';
import { AuthenticationResponseJSON, CreationOptionsJSON, RegistrationResponseJSON, RequestOptionsJSON } from './webauthn-schemas';

const name = z
  .string({ error: 'is required' })
  .trim()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[^\x00-\x1f\x7f]*$/, 'must not contain control characters')
  .openapi({ example: 'MacBook Touch ID', description: 'A name the user recognises the passkey by' });

const mfaToken = z.string({ error: 'is required' }).min(1, 'is required').max(512, 'is too long').openapi({ description: 'From the mfaRequired login body' });

export const PasskeySchema = z
  .object({
    id: z.string().openapi({ format: 'uuid', description: "The service's own id of the passkey (not the credential id)" }),
    name: z.string(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable(),
    deviceType: z.enum(['singleDevice', 'multiDevice']).openapi({ description: 'multiDevice: a synced passkey that may be backed up' }),
    backedUp: z.boolean(),
    transports: z.array(z.string()),
  })
  .openapi('Passkey');

export const PasskeyResponse = z.object({ passkey: PasskeySchema }).openapi('PasskeyResponse');
export const PasskeyList = z.object({ passkeys: z.array(PasskeySchema).openapi({ description: 'Oldest first' }) }).openapi('PasskeyList');
export const PasskeyParams = z.object({ id: z.string().openapi({ format: 'uuid', description: 'A passkey id' }) });

export const RegistrationBody = z.strictObject({ response: RegistrationResponseJSON, name: name.optional() }).openapi('PasskeyRegistrationRequest');
export const RenameBody = z.strictObject({ name }).openapi('PasskeyRenameRequest');
export const AuthenticationBody = z
  .strictObject({
    challengeId: z.uuid('must be the challengeId of the options').openapi({ description: 'From POST /auth/passkeys/authentication/options' }),
    response: AuthenticationResponseJSON,
  })
  .openapi('PasskeyAuthenticationRequest');
export const MfaPasskeyOptionsBody = z.strictObject({ mfaToken }).openapi('MfaPasskeyOptionsRequest');

export const CreationOptionsResponse = z.object({ options: CreationOptionsJSON }).openapi('PasskeyCreationOptionsResponse');
export const RequestOptionsResponse = z.object({ options: RequestOptionsJSON }).openapi('PasskeyRequestOptionsResponse');
export const SignInOptionsResponse = z
  .object({ options: RequestOptionsJSON, challengeId: z.string().openapi({ format: 'uuid', description: 'Send it back with the response' }) })
  .openapi('PasskeySignInOptionsResponse');

export const toPasskeyBody = (passkey: PasskeyRow): z.input<typeof PasskeySchema> => ({
  id: passkey.id,
  name: passkey.name,
  createdAt: passkey.createdAt.toISOString(),
  lastUsedAt: passkey.lastUsedAt?.toISOString() ?? null,
  deviceType: passkey.deviceType,
  backedUp: passkey.backedUp,
  transports: passkey.transports,
});
