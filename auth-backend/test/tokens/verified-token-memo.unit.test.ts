/**
 * AccessTokens remembers the tokens it has verified (src/auth/access-tokens.ts): a remembered
 * token must never be accepted where verifying it again would refuse it. Revocation of its key is
 * covered by test/keys/emergency-revocation.test.ts (the token is used before the revocation).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { AccessTokens, InvalidAccessToken, VERIFIED_TOKENS_REMEMBERED } from '../../src/tokens/access-tokens';
import { SharedSecretKey } from '../../src/keys/token-keys';
import { TEST_JWT_SECRET } from '../support/test-app';

const tokens = (ttlSeconds: number) => new AccessTokens({ issuer: 'auth-backend', audience: 'auth-backend', ttlSeconds }, new SharedSecretKey(TEST_JWT_SECRET));
const claims = () => ({ sub: randomUUID(), sid: randomUUID(), amr: ['pwd' as const] });

describe('remembered access tokens', () => {
  it('are refused once expired, as on their first verification', async () => {
    const issuer = tokens(1);
    const token = await issuer.sign(claims());
    await expect(issuer.verify(token)).resolves.toEqual(expect.objectContaining({ amr: ['pwd'] }));
    await expect(issuer.verify(token)).resolves.toEqual(expect.objectContaining({ amr: ['pwd'] }));
    await sleep(2100);
    await expect(issuer.verify(token)).rejects.toThrow(new InvalidAccessToken('jwt expired'));
  });

  it('match only byte for byte: a changed signature, payload or key is verified (and refused) afresh', async () => {
    const issuer = tokens(600);
    const token = await issuer.sign(claims());
    await issuer.verify(token);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = `${signature.slice(0, -2)}${signature.at(-2) === 'A' ? 'B' : 'A'}${signature.at(-1)}`;
    await expect(issuer.verify(`${header}.${payload}.${flipped}`)).rejects.toThrow(InvalidAccessToken);
    await expect(issuer.verify(`${header}.${payload}x.${signature}`)).rejects.toThrow(InvalidAccessToken);
    // The same text under another process's secret: that process verifies it itself, and refuses it.
    const other = new AccessTokens({ issuer: 'auth-backend', audience: 'auth-backend', ttlSeconds: 600 }, new SharedSecretKey(`${TEST_JWT_SECRET}-other`));
    await expect(other.verify(token)).rejects.toThrow(new InvalidAccessToken('invalid signature'));
  });

  it('hand out claims nobody can change for the next caller', async () => {
    const issuer = tokens(600);
    const token = await issuer.sign(claims());
    const first = await issuer.verify(token);
    expect(() => (first.amr as string[]).push('otp')).toThrow(TypeError);
    expect((await issuer.verify(token)).amr).toEqual(['pwd']);
  });

  it(`are at most ${VERIFIED_TOKENS_REMEMBERED} per process, the oldest forgotten first`, async () => {
    const issuer = tokens(600);
    const first = await issuer.sign(claims());
    await issuer.verify(first);
    for (let i = 0; i < VERIFIED_TOKENS_REMEMBERED; i++) await issuer.verify(await issuer.sign(claims()));
    const remembered = (issuer as unknown as { verified: Map<string, unknown> }).verified;
    expect(remembered.size).toBe(VERIFIED_TOKENS_REMEMBERED);
    expect(remembered.has(first)).toBe(false);
    // Forgotten is not refused: it is verified again.
    await expect(issuer.verify(first)).resolves.toEqual(expect.objectContaining({ amr: ['pwd'] }));
  }, 60_000);
});
