/**
 * A sign-in assertion checked with node:crypto: the checks of @simplewebauthn/server's
 * verifyAuthenticationResponse (WebAuthn §7.2 steps 11-21, in its order and with its rules), the
 * signature against a public key imported once. The library does the same through WebCrypto,
 * importing the COSE key anew and hashing asynchronously on every call: about two thirds of a
 * passkey sign-in's CPU (docs/performance.md, ADR 0032). The parsing is the library's own
 * (decodeClientDataJSON, parseAuthenticatorData, decodeCredentialPublicKey); what is here is the
 * key import and the checks. test/passkeys/assertion-signature.unit.test.ts holds it to the library's
 * verdict on valid and tampered assertions alike.
 */
import { createHash, createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { cose, decodeClientDataJSON, decodeCredentialPublicKey, isoBase64URL, parseAuthenticatorData } from '@simplewebauthn/server/helpers';
import { PasskeyRefused } from './refusal-reason';

/** A credential's public key, ready to verify with: the key and the digest its COSE algorithm names (null: EdDSA). */
export interface PublicKey {
  key: KeyObject;
  digest: 'sha256' | null;
}

/** What a valid assertion says: its counter, backup state, and the challenge it signed (base64url) for the caller to judge. */
export interface CheckedAssertion {
  counter: number;
  backedUp: boolean;
  challenge: string;
}

/** The parts of an assertion (AuthenticationResponseJSON) this check reads. */
export interface AssertionParts {
  id: string;
  rawId: string;
  type: string;
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string };
}

const EC_CURVES: Partial<Record<number, string>> = { [cose.COSECRV.P256]: 'P-256', [cose.COSECRV.P384]: 'P-384', [cose.COSECRV.P521]: 'P-521' };

/**
 * The COSE public key of a registered credential as a KeyObject, for the algorithms registration
 * accepts (relying-party.ts SUPPORTED_ALGORITHMS): ES256 on P-256, EdDSA on Ed25519, RS256.
 */
export function importPublicKey(cosePublicKey: Uint8Array): PublicKey {
  const decoded = decodeCredentialPublicKey(cosePublicKey as Uint8Array<ArrayBuffer>) as Map<number, number | Uint8Array>;
  const alg = decoded.get(cose.COSEKEYS.alg);
  const kty = decoded.get(cose.COSEKEYS.kty);
  const crv = decoded.get(cose.COSEKEYS.crv) as number;
  const bytes = (label: number) => {
    const value = decoded.get(label);
    if (!(value instanceof Uint8Array)) throw new PasskeyRefused('algorithm');
    return Buffer.from(value).toString('base64url');
  };
  let jwk: JsonWebKey;
  if (alg === cose.COSEALG.ES256 && kty === cose.COSEKTY.EC2 && EC_CURVES[crv])
    jwk = { kty: 'EC', crv: EC_CURVES[crv], x: bytes(cose.COSEKEYS.x), y: bytes(cose.COSEKEYS.y) };
  else if (alg === cose.COSEALG.EdDSA && kty === cose.COSEKTY.OKP && crv === cose.COSECRV.ED25519)
    jwk = { kty: 'OKP', crv: 'Ed25519', x: bytes(cose.COSEKEYS.x) };
  else if (alg === cose.COSEALG.RS256 && kty === cose.COSEKTY.RSA) jwk = { kty: 'RSA', n: bytes(cose.COSEKEYS.n), e: bytes(cose.COSEKEYS.e) };
  else throw new PasskeyRefused('algorithm');
  return { key: createPublicKey({ key: jwk, format: 'jwk' }), digest: alg === cose.COSEALG.EdDSA ? null : 'sha256' };
}

export interface AssertionExpectations {
  origins: readonly string[];
  /** SHA-256 of the RP id. */
  rpIdHash: Buffer;
}

/** The assertion's counter, backup state and signed challenge when everything but the challenge holds; PasskeyRefused otherwise. */
export function checkAssertion(response: AssertionParts, publicKey: PublicKey, expected: AssertionExpectations): CheckedAssertion {
  const { id, rawId, type, response: parts } = response;
  if (!id || id !== rawId) throw new PasskeyRefused('malformed');
  if (type !== 'public-key') throw new PasskeyRefused('type');
  let clientData;
  try {
    clientData = decodeClientDataJSON(parts.clientDataJSON);
  } catch {
    throw new PasskeyRefused('malformed');
  }
  if (clientData.type !== 'webauthn.get') throw new PasskeyRefused('type');
  if (typeof clientData.challenge !== 'string') throw new PasskeyRefused('challenge');
  if (!expected.origins.includes(clientData.origin)) throw new PasskeyRefused('origin');
  if (!isoBase64URL.isBase64URL(parts.authenticatorData) || !isoBase64URL.isBase64URL(parts.signature)) throw new PasskeyRefused('malformed');
  const { tokenBinding } = clientData;
  if (tokenBinding && (typeof tokenBinding !== 'object' || !['present', 'supported', 'notSupported'].includes(tokenBinding.status))) {
    throw new PasskeyRefused('malformed');
  }
  const authenticatorData = Buffer.from(parts.authenticatorData, 'base64url');
  let parsed;
  try {
    parsed = parseAuthenticatorData(authenticatorData);
  } catch {
    throw new PasskeyRefused('malformed');
  }
  if (!expected.rpIdHash.equals(parsed.rpIdHash)) throw new PasskeyRefused('rp-id');
  if (!parsed.flags.up) throw new PasskeyRefused('user-presence');
  if (!parsed.flags.uv) throw new PasskeyRefused('user-verification');
  const clientDataHash = createHash('sha256').update(Buffer.from(parts.clientDataJSON, 'base64url')).digest();
  const signed = Buffer.concat([authenticatorData, clientDataHash]);
  let valid = false;
  try {
    valid = verify(publicKey.digest, signed, publicKey.key, Buffer.from(parts.signature, 'base64url'));
  } catch {
    // A signature that does not even parse (DER) is as wrong as one that does not verify.
  }
  if (!valid) throw new PasskeyRefused('signature');
  // WebAuthn §6.1.3: BS without BE is invalid; the library reports it the same way (parseBackupFlags).
  if (parsed.flags.bs && !parsed.flags.be) throw new PasskeyRefused('malformed');
  return { counter: parsed.counter, backedUp: parsed.flags.bs, challenge: clientData.challenge };
}

/** The SHA-256 of an RP id, as authenticator data carries it. */
export const rpIdHashOf = (rpId: string): Buffer => createHash('sha256').update(rpId, 'ascii').digest();
