import type { Request } from 'express';

/**
 * The value of the cookie `name` in the request's Cookie header (RFC 6265 syntax), if any. The
 * service sets few cookies and reads fewer, so it has no cookie middleware.
 */
export function readCookie(req: Request, name: string): string | undefined {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at < 0 || pair.slice(0, at).trim() !== name) continue;
    const value = pair.slice(at + 1).trim();
    try {
      return decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
