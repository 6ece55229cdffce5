import type { Request } from 'express';
import type { RequestMeta } from '../domain/audit';

/** The User-Agent as stored (sessions, audit events): printable ASCII, at most 512 characters. */
export const userAgentOf = (req: { get(name: string): string | undefined }) =>
  req
    .get('user-agent')
    ?.replace(/[^\x20-\x7e]/g, '')
    .slice(0, 512) || null;

/** Who made this request, for the audit log: its id, client address (per TRUST_PROXY) and user agent. */
export const requestMeta = (req: Request): RequestMeta => ({ requestId: req.id, ip: req.ip ?? null, userAgent: userAgentOf(req) });
