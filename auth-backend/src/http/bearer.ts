import type { Request } from 'express';

/**
 * The token of an `Authorization: Bearer <token>` header (RFC 6750 token68 syntax), if any. The
 * scheme name is case-insensitive (RFC 9110 section 11.1), and one or more spaces may follow it.
 */
export function bearerToken(req: Request): string | undefined {
  const match = /^Bearer +([A-Za-z0-9\-_.~+/]+=*)$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}
