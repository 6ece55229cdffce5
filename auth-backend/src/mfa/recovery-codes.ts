/**
 * Recovery codes: 10 per user, each 12 characters of the RFC 4648 base32 alphabet (60 random
 * bits; no 0/1/8/9, so no O/0 or I/1 confusion), shown in groups of four (`ABCD-EFGH-JKLM`), typed
 * in any case, with or without the dashes and spaces.
 *
 * Stored as SHA-256 of (user id, normalised code). A fast hash is enough here, unlike for
 * passwords: a code has 60 random bits, so guessing a code from its hash takes ~2^59 hashes per
 * code, and binding the user id rules out one precomputation for every account.
 */
import { createHash, randomInt } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const LENGTH = 12;
const GROUP = 4;

export function newRecoveryCode(): string {
  let code = '';
  for (let i = 0; i < LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code.match(new RegExp(`.{${GROUP}}`, 'g'))!.join('-');
}

export const newRecoveryCodes = () => Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);

/** The code as typed, upper-cased, without separators. */
export const normaliseRecoveryCode = (typed: string) => typed.toUpperCase().replace(/[\s-]/g, '');

export function hashRecoveryCode(userId: string, code: string): string {
  return createHash('sha256')
    .update(`${userId}\n${normaliseRecoveryCode(code)}`, 'utf8')
    .digest('base64url');
}
