/**
 * The admin lists' opaque cursor: the keyset position (time, id) of the last item of a page,
 * base64url-encoded. Decoding validates it strictly, so anything the service did not issue
 * answers 400 (a well-formed position is only a place in the order, never a way to see more).
 */
import { AppError } from '../errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export interface Position {
  at: Date;
  id: string;
}

export const encodeCursor = (position: Position): string => Buffer.from(`${position.at.toISOString()}|${position.id}`).toString('base64url');

export function decodeCursor(cursor: string | undefined): Position | undefined {
  if (cursor === undefined) return undefined;
  const invalid = () =>
    new AppError('validation_failed', 'The cursor is invalid.', { errors: [{ path: 'cursor', message: 'is not a cursor this service issued' }] });
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw invalid();
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rest.length > 0 || !at || !id || !ISO.test(at) || !UUID.test(id)) throw invalid();
  const date = new Date(at);
  if (Number.isNaN(date.getTime()) || date.toISOString() !== at) throw invalid();
  return { at: date, id };
}

/** The next page's cursor: the last item's position when the page is full, else null. */
export const nextCursor = <T>(items: T[], limit: number, position: (item: T) => Position): string | null =>
  items.length === limit && items.length > 0 ? encodeCursor(position(items[items.length - 1]!)) : null;
