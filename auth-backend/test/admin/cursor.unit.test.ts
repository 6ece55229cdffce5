import { randomUUID } from 'node:crypto';
import { Cursors } from '../../src/admin/cursor';

const SECRET = 'a-key-encryption-key-of-at-least-32-bytes!!';
const position = { at: new Date('2026-12-07T10:15:00.123Z'), id: randomUUID() };
const refusal = { status: 400, code: 'validation_failed' };

describe('admin cursors (src/admin/cursor.ts)', () => {
  const cursors = new Cursors(SECRET);

  it('round-trips a position for the list it was issued for, on any replica with the same key', () => {
    const cursor = cursors.encode('users', position);
    expect(cursors.decode('users', cursor)).toEqual(position);
    expect(new Cursors(SECRET).decode('users', cursor)).toEqual(position);
    expect(cursors.decode('users', undefined)).toBeUndefined();
  });

  it('refuses a cursor of another list, of another key, altered, truncated, or never issued', () => {
    const cursor = cursors.encode('users', position);
    expect(() => cursors.decode('audit', cursor)).toThrow(expect.objectContaining(refusal));
    expect(() => new Cursors(`${SECRET}?`).decode('users', cursor)).toThrow(expect.objectContaining(refusal));
    const bytes = Buffer.from(cursor, 'base64url');
    bytes[3] = bytes[3]! ^ 1;
    expect(() => cursors.decode('users', bytes.toString('base64url'))).toThrow(expect.objectContaining(refusal));
    expect(() => cursors.decode('users', cursor.slice(0, -2))).toThrow(expect.objectContaining(refusal));
    const unsigned = Buffer.from(`${position.at.toISOString()}|${position.id}`).toString('base64url');
    for (const forged of [unsigned, '!!!', '', 'A'.repeat(300)]) expect(() => cursors.decode('users', forged)).toThrow(expect.objectContaining(refusal));
  });

  it('gives the next page a cursor only when the page is full', () => {
    const items = [{ at: position.at, id: position.id }];
    expect(cursors.next('audit', items, 1, (item) => item)).toEqual(expect.any(String));
    expect(cursors.next('audit', items, 2, (item) => item)).toBeNull();
    expect(cursors.next('audit', [], 1, (item: typeof position) => item)).toBeNull();
  });
});
