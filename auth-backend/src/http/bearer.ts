import type { Request } from 'express';

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 token68 syntax), if any. */
export function bearerToken(req: Request): string | undefined {
  const match = /^Bearer ([A-Za-z0-9\-_.~+/]+=*)$/.exec(req.headers.authorization ?? '');
  return match?.[1];
}
