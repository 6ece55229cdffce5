/**
 * Passwords are compared in Unicode Normalization Form KC (NIST SP 800-63B;
 * docs/decisions/0006-password-normalization.md): the same password typed on two keyboards (a
 * composed or a decomposed "é", full-width or ASCII letters, a no-break or a plain space) hashes
 * the same. Whitespace is kept as typed: it is part of the password. Text that is not Unicode
 * (a lone surrogate, bytes that are not UTF-8) never gets here: it is refused with 400 at the door
 * (http/storable-text.ts, http/json-body.ts).
 */
import type { PasswordCheck, PasswordHasher } from './password-hasher';

export const normalizePassword = (password: string): string => password.normalize('NFKC');

/**
 * The forms compared with the common-passwords list: normalised and lower-cased, with the
 * surrounding whitespace trimmed and with all whitespace removed, so that "password ",
 * "ｐａｓｓｗｏｒｄ" and "pass word" count as "password".
 */
export function blocklistForms(password: string): string[] {
  const folded = normalizePassword(password).toLowerCase();
  return [folded.trim(), folded.replace(/\s+/g, '')];
}

export type PasswordHashing = Pick<PasswordHasher, 'hash' | 'verify' | 'verifyAgainstDummy'>;

/**
 * `hasher` over normalised passwords. A hash stored before normalisation (of the password as
 * typed) still verifies: when the normalised form fails and the typed form differs, the typed form
 * is tried, and a match reports `needsRehash` so that the caller stores the normalised form.
 * Unknown accounts spend the same number of comparisons (no timing difference).
 */
export function normalizingHasher(hasher: PasswordHashing): PasswordHashing {
  return {
    hash: (password, signal) => hasher.hash(normalizePassword(password), signal),
    async verify(password, storedHash, signal): Promise<PasswordCheck> {
      const normalized = normalizePassword(password);
      const check = await hasher.verify(normalized, storedHash, signal);
      if (check.ok || normalized === password) return check;
      const legacy = await hasher.verify(password, storedHash, signal);
      return { ok: legacy.ok, needsRehash: legacy.ok };
    },
    async verifyAgainstDummy(password, signal) {
      const normalized = normalizePassword(password);
      await hasher.verifyAgainstDummy(normalized, signal);
      if (normalized !== password) await hasher.verifyAgainstDummy(password, signal);
      return false;
    },
  };
}
