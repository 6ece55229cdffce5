import { createHash } from 'node:crypto';

/**
 * The one way an email address is hashed: for throttle keys (so that no counter stores an
 * address) and, shortened, for log lines that correlate attempts on one address without
 * writing it. Each use has its own scope, so no key of one can be matched with another's.
 */
export type AddressScope = 'login-throttle' | 'mail-throttle' | 'log';

export function addressDigest(email: string, scope: AddressScope): string {
  const digest = createHash('sha256').update(`${scope}:${email}`).digest('base64url');
  return scope === 'log' ? digest.slice(0, 16) : digest;
}

/** The reference that log lines carry instead of an address (correlates one address's lines). */
export const emailRef = (email: string) => addressDigest(email, 'log');
