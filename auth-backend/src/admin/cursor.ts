/**
 * The admin lists' opaque cursors: the keyset position (time, id) of the last item of a page, for
 * one list, authenticated with an HMAC under a key derived from KEY_ENCRYPTION_KEY (every replica
 * derives the same). Anything the service did not issue for that list answers 400: a forged
 * position, a cursor of another list (a users cursor on the audit list), a truncated one.
 * A position is only a place in the order, never a way to see more; the MAC makes the contract's
 * "a cursor the service did not issue: 400" hold exactly.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const MAC_BYTES = 16;

export interface Position {
  at: Date;
  id: string;
}

/** Which list a cursor pages: a cursor of one is refused by the others. */
export type CursorList = 'users' | 'audit' | (string & {});

const invalid = () =>
  new AppError('validation_failed', 'The cursor is invalid.', { errors: [{ path: 'cursor', message: 'is not a cursor this service issued for this list' }] });

export class Cursors {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'auth-backend', 'admin-cursor/v1', 32));
  }

  encode(list: CursorList, position: Position): string {
    const text = `${position.at.toISOString()}|${position.id}`;
    return Buffer.concat([Buffer.from(text), this.mac(list, text)]).toString('base64url');
  }

  /** The position of a cursor this service issued for `list`; undefined when there is none; 400 otherwise. */
  decode(list: CursorList, cursor: string | undefined): Position | undefined {
    if (cursor === undefined) return undefined;
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw invalid();
    const bytes = Buffer.from(cursor, 'base64url');
    if (bytes.length <= MAC_BYTES) throw invalid();
    const text = bytes.subarray(0, bytes.length - MAC_BYTES).toString('utf8');
    const mac = bytes.subarray(bytes.length - MAC_BYTES);
    if (!timingSafeEqual(mac, this.mac(list, text))) throw invalid();
    const [at, id, ...rest] = text.split('|');
    if (rest.length > 0 || !at || !id || !ISO.test(at) || !UUID.test(id)) throw invalid();
    const date = new Date(at);
    if (Number.isNaN(date.getTime()) || date.toISOString() !== at) throw invalid();
    return { at: date, id };
  }

  /** The next page's cursor: the last item's position when the page is full, else null. */
  next<T>(list: CursorList, items: T[], limit: number, position: (item: T) => Position): string | null {
    return items.length === limit && items.length > 0 ? this.encode(list, position(items[items.length - 1]!)) : null;
  }

  private mac(list: CursorList, text: string): Buffer {
    return createHmac('sha256', this.key).update(`${list}\n${text}`).digest().subarray(0, MAC_BYTES);
  }
}
