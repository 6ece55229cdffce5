import { scheduleKeys, type KeyRow } from '../../src/keys/key-schedule';

const t0 = Date.parse('2026-12-01T00:00:00Z');
const at = (seconds: number) => new Date(t0 + seconds * 1000);
const key = (kid: string, activatesAt: number, revokedAt?: number): KeyRow => ({
  kid,
  algorithm: 'ES256',
  activatesAt: at(activatesAt),
  revokedAt: revokedAt === undefined ? null : at(revokedAt),
});
// Tokens live 900 s; a superseded key verifies 60 s longer (one refresh interval).
const retention = { ttlSeconds: 900, marginSeconds: 60 };
const view = (rows: KeyRow[], now: number) => {
  const schedule = scheduleKeys(rows, at(now), retention);
  return {
    signing: schedule.signing?.kid,
    verifying: schedule.verifying.map((row) => row.kid),
    next: schedule.nextChangeAt && (schedule.nextChangeAt.getTime() - t0) / 1000,
  };
};

describe('scheduleKeys (which key signs, which verify)', () => {
  it('publishes a rotated key at once, signs with it from its activation, and retires its predecessor ttl + margin later', () => {
    const rows = [key('a', 0), key('b', 100)];
    expect(view(rows, 50)).toEqual({ signing: 'a', verifying: ['a', 'b'], next: 100 });
    expect(view(rows, 100)).toEqual({ signing: 'b', verifying: ['a', 'b'], next: 1060 });
    expect(view(rows, 1059)).toEqual({ signing: 'b', verifying: ['a', 'b'], next: 1060 });
    expect(view(rows, 1060)).toEqual({ signing: 'b', verifying: ['b'], next: undefined });
  });

  it('never signs or verifies with a revoked key, and a revocation does not bring a retired key back', () => {
    // a was retired by b; b is revoked (leaked) and c signs at once.
    const rows = [key('a', 0), key('b', 100, 5000), key('c', 5000)];
    expect(view(rows, 5000)).toEqual({ signing: 'c', verifying: ['c'], next: undefined });
    // Revoked with nothing newer: nothing signs (the service then creates a key at once).
    expect(view([key('a', 0), key('b', 100, 5000)], 5000).signing).toBeUndefined();
  });

  it('ignores a key revoked before it activated: the current key keeps signing and verifying', () => {
    const rows = [key('a', 0), key('b', 100, 50)];
    expect(view(rows, 5000)).toEqual({ signing: 'a', verifying: ['a'], next: undefined });
  });

  it('with no keys, has nothing to sign with', () => {
    expect(view([], 0)).toEqual({ signing: undefined, verifying: [], next: undefined });
  });
});
