/**
 * The breached-password check (PASSWORD_BREACH_CHECK=block): asks a Pwned Passwords range API
 * (PASSWORD_BREACH_API, the public one or a self-hosted mirror) for the suffixes of every SHA-1 that
 * starts with the password's first five hex digits, and compares the rest here (k-anonymity: the
 * password and its full hash never leave the process). `Add-Padding: true` asks the API to pad
 * the answer with fake suffixes (count 0, which never match) so its size says nothing either.
 *
 * Fail open: an API that fails or answers slower than PASSWORD_BREACH_TIMEOUT lets the password
 * through, with a warning and password_breach_check_errors_total; a breach list being down must
 * not stop registrations.
 */
import { createHash } from 'node:crypto';
import type { BreachCheckConfig } from '../config/webhooks';
import type { Logger } from '../logger';
import { normalizePassword } from './password-normalization';

/** The SHA-1 of the password, split as the range API wants it: the prefix sent, the suffix kept. */
export function rangeQuery(password: string): { prefix: string; suffix: string } {
  const hash = createHash('sha1').update(normalizePassword(password), 'utf8').digest('hex').toUpperCase();
  return { prefix: hash.slice(0, 5), suffix: hash.slice(5) };
}

/** Whether a range answer ("SUFFIX:COUNT" lines) lists `suffix` with a count above 0 (padding lines have 0). */
export function listedIn(answer: string, suffix: string): boolean {
  return answer.split('\n').some((line) => {
    const [candidate, count] = line.trim().split(':');
    return candidate?.toUpperCase() === suffix && Number(count) > 0;
  });
}

export class BreachedPasswords {
  constructor(
    private readonly config: BreachCheckConfig,
    private readonly logger: Logger,
    /** Metrics: password_breach_check_errors_total. */
    private readonly onError?: () => void,
  ) {}

  get enabled(): boolean {
    return this.config.mode === 'block';
  }

  /** Whether the password is in the breach list; false when the check is off, fails or is too slow. */
  async isBreached(password: string): Promise<boolean> {
    if (!this.enabled) return false;
    const { prefix, suffix } = rangeQuery(password);
    const started = Date.now();
    try {
      const response = await fetch(`${this.config.apiUrl}${prefix}`, {
        headers: { 'Add-Padding': 'true', 'User-Agent': 'auth-backend' },
        redirect: 'error',
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      if (!response.ok) throw new Error(`the range API answered HTTP ${response.status}`);
      return listedIn(await response.text(), suffix);
    } catch (error) {
      const reason =
        error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${this.config.timeoutMs} ms` : String((error as Error).message ?? error);
      this.logger.warn(
        { event: 'password.breach-check', outcome: 'error', reason, ms: Date.now() - started },
        'breached-password check failed: the password is let through (fail open)',
      );
      this.onError?.();
      return false;
    }
  }
}
