/**
 * Bodies of server-rendered forms (application/x-www-form-urlencoded): parsed only on the routes
 * that take them, at most 16 KiB and a few fields, and read field by field as single strings (a
 * repeated field is refused, never turned into an array).
 */
import express, { type RequestHandler } from 'express';

export const formBody: RequestHandler = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });

/** The value of field `name` when it was sent exactly once, as text; undefined otherwise. */
export function formField(body: unknown, name: string): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}
