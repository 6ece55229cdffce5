import { createHash } from 'node:crypto';
import { AddressDigests } from '../../src/crypto/address-digest';

const SECRET = 'a-key-encryption-key-of-at-least-32-bytes!!';
const EMAIL = 'ada@example.com';

describe('address digests (src/crypto/address-digest.ts)', () => {
  it('gives one address the same reference on every replica (the same key) and a different one under another key', () => {
    expect(new AddressDigests(SECRET).ref(EMAIL)).toBe(new AddressDigests(SECRET).ref(EMAIL));
    expect(new AddressDigests(`${SECRET}x`).ref(EMAIL)).not.toBe(new AddressDigests(SECRET).ref(EMAIL));
    expect(new AddressDigests(SECRET).ref(EMAIL)).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('is keyed: no unkeyed hash of the address (what someone with the logs could compute) matches it', () => {
    const digests = new AddressDigests(SECRET);
    for (const scope of ['log', 'login-throttle', 'mail-throttle'] as const) {
      const value = digests.digest(EMAIL, scope);
      const unkeyed = createHash('sha256').update(`${scope}:${EMAIL}`).digest('base64url');
      expect(unkeyed.startsWith(value)).toBe(false);
    }
  });

  it('keeps the scopes apart', () => {
    const digests = new AddressDigests(SECRET);
    expect(new Set([digests.digest(EMAIL, 'log'), digests.digest(EMAIL, 'login-throttle'), digests.digest(EMAIL, 'mail-throttle')]).size).toBe(3);
  });
});
