/**
 * The WebAuthn Level 3 JSON forms the passkey endpoints exchange (what PublicKeyCredential.toJSON()
 * and @simplewebauthn/browser produce and take), as documented objects: requests are validated by
 * them, options are parsed through them on the way out, and the OpenAPI document shows them.
 * Binary fields are base64url strings. Unknown members of a credential are dropped, never refused:
 * browsers add new ones.
 */
import { z } from '../http/zod';

/** The transports a stored passkey may name (WebAuthn's AuthenticatorTransport, plus `cable`); others are dropped. */
export const KNOWN_TRANSPORTS = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'] as const;
export type Transport = (typeof KNOWN_TRANSPORTS)[number];

const base64url = (what: string, maxLength: number) =>
  z
    .string({ error: 'is required' })
    .min(1, 'is required')
    .max(maxLength, 'is too long')
    .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url (A-Z a-z 0-9 - _, no padding)')
    .openapi({ description: `${what}, base64url`, format: 'base64url' });

// A credential id is at most 1023 bytes (WebAuthn); the rest are bounded well above what authenticators send.
const credentialId = base64url('The credential id', 1364);
const clientDataJSON = base64url('The client data, JSON (its challenge, origin and type are checked)', 4096);
const transports = z
  .array(z.string().max(32))
  .max(16)
  .optional()
  .openapi({ description: `How the authenticator is reached: ${KNOWN_TRANSPORTS.join(', ')}` });
const clientExtensionResults = z.record(z.string(), z.unknown()).default({}).openapi({ description: 'The client extension outputs (not used)' });
const authenticatorAttachment = z.enum(['platform', 'cross-platform']).optional();

export const RegistrationResponseJSON = z
  .object({
    id: credentialId,
    rawId: credentialId,
    type: z.literal('public-key'),
    response: z.object({
      clientDataJSON,
      attestationObject: base64url('The attestation object, CBOR (format none, or a self-attestation)', 12_000),
      authenticatorData: base64url('The authenticator data', 8192).optional(),
      transports,
      publicKeyAlgorithm: z.number().int().optional(),
      publicKey: base64url('The public key, SubjectPublicKeyInfo', 4096).optional(),
    }),
    authenticatorAttachment,
    clientExtensionResults,
  })
  .openapi('RegistrationResponseJSON', { description: 'A new credential, as navigator.credentials.create() returns it in JSON form' });

export const AuthenticationResponseJSON = z
  .object({
    id: credentialId,
    rawId: credentialId,
    type: z.literal('public-key'),
    response: z.object({
      clientDataJSON,
      authenticatorData: base64url('The authenticator data (RP id hash, flags, counter)', 8192),
      signature: base64url('The signature over the authenticator data and the hash of the client data', 2048),
      userHandle: base64url('The user handle the passkey was made for', 128).optional(),
    }),
    authenticatorAttachment,
    clientExtensionResults,
  })
  .openapi('AuthenticationResponseJSON', { description: 'An assertion, as navigator.credentials.get() returns it in JSON form' });

const CredentialDescriptor = z
  .object({ id: z.string().openapi({ format: 'base64url' }), type: z.literal('public-key'), transports: z.array(z.string()).optional() })
  .openapi('PublicKeyCredentialDescriptorJSON');

const userVerification = z.enum(['required', 'preferred', 'discouraged']);

export const CreationOptionsJSON = z
  .object({
    rp: z.object({ id: z.string().openapi({ description: 'The RP id: always named' }), name: z.string() }),
    user: z.object({
      id: z.string().openapi({ description: 'The user handle, base64url (not an address)' }),
      name: z.string(),
      displayName: z.string(),
    }),
    challenge: z.string().openapi({ format: 'base64url', description: 'Single use, answerable for 5 minutes' }),
    pubKeyCredParams: z.array(
      z.object({ type: z.literal('public-key'), alg: z.number().int().openapi({ description: 'A COSE algorithm: -8 EdDSA, -7 ES256, -257 RS256' }) }),
    ),
    timeout: z.number().int().optional(),
    excludeCredentials: z.array(CredentialDescriptor).openapi({ description: "The account's passkeys: an authenticator that holds one makes no second" }),
    authenticatorSelection: z.object({
      authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
      residentKey: z.literal('required'),
      requireResidentKey: z.boolean(),
      userVerification: z.literal('required'),
    }),
    hints: z.array(z.string()).optional(),
    attestation: z.literal('none'),
    extensions: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('PublicKeyCredentialCreationOptionsJSON', { description: 'For navigator.credentials.create() (or @simplewebauthn/browser startRegistration)' });

export const RequestOptionsJSON = z
  .object({
    challenge: z.string().openapi({ format: 'base64url', description: 'Single use, answerable for 5 minutes' }),
    timeout: z.number().int().optional(),
    rpId: z.string().openapi({ description: 'The RP id: always named' }),
    allowCredentials: z
      .array(CredentialDescriptor)
      .openapi({ description: "Empty for a username-less sign-in (any of the user's discoverable passkeys); the account's passkeys for a second factor" }),
    userVerification,
    hints: z.array(z.string()).optional(),
    extensions: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('PublicKeyCredentialRequestOptionsJSON', { description: 'For navigator.credentials.get() (or @simplewebauthn/browser startAuthentication)' });

export type RegistrationResponse = z.output<typeof RegistrationResponseJSON>;
export type AuthenticationResponse = z.output<typeof AuthenticationResponseJSON>;
export type CreationOptions = z.output<typeof CreationOptionsJSON>;
export type RequestOptions = z.output<typeof RequestOptionsJSON>;
