import { createHash, randomBytes } from 'node:crypto';

/**
 * Opaque secrets handed to clients (refresh tokens, and the tokens in reset and verification mail):
 * 256 random bits, base64url; only their SHA-256 is stored, so a database dump holds nothing usable.
 * A plain hash suffices (no salt, no slow hash) because the secret itself has full entropy.
 */
export function newOpaqueToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashOpaqueToken(token) };
}

export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}
