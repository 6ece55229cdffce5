/** Generating signing key pairs, and naming them by their RFC 7638 JWK thumbprint (the `kid`). */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';

export const ASYMMETRIC_ALGORITHMS = ['ES256', 'RS256'] as const;
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

export interface GeneratedKey {
  kid: string;
  algorithm: AsymmetricAlgorithm;
  publicJwk: JsonWebKey;
  /** PKCS#8 DER: encrypt it before it goes anywhere. */
  privateDer: Buffer;
}

export function generateSigningKey(algorithm: AsymmetricAlgorithm): GeneratedKey {
  const { publicKey, privateKey } =
    algorithm === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicJwk = publicKey.export({ format: 'jwk' });
  return { kid: jwkThumbprint(publicJwk), algorithm, publicJwk, privateDer: privateKey.export({ format: 'der', type: 'pkcs8' }) };
}

/** RFC 7638: SHA-256 over the required members in lexicographic order, base64url. */
export function jwkThumbprint(jwk: JsonWebKey): string {
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { e: jwk.e, kty: jwk.kty, n: jwk.n };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

export const publicKeyObject = (jwk: JsonWebKey): KeyObject => createPublicKey({ key: jwk, format: 'jwk' });
export const privateKeyObject = (der: Buffer): KeyObject => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
