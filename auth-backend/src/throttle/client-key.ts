import { isIP } from 'node:net';
import { createHash } from 'node:crypto';

/** A client address as is; anything else a proxy may have forwarded (any length, any bytes) as a short hash. */
export function clientKey(ip: string): string {
  return isIP(ip) ? ip : `h:${createHash('sha256').update(ip).digest('base64url')}`;
}
