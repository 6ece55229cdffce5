/**
 * The headers of every server-rendered page (the provider's hosted pages, the admin console): a
 * strict Content-Security-Policy (scripts and styles from this origin only, never inline; no
 * framing; no <base>), no Referer leaving the page (URLs of these pages carry interaction ids),
 * and nothing cached. The JSON API keeps helmet's headers (app.ts); these replace them on pages.
 */
import type { ServerResponse } from 'node:http';
import type { Response } from 'express';

export interface PagePolicy {
  /**
   * Origins, besides this one, where a form on the page may end up: browsers apply form-action to
   * every redirect after a submission, and a sign-in ends with a redirect to the application.
   * `'any'`: a page whose forms may end anywhere a registered client said (the provider's own
   * auto-submitting form_post page).
   */
  formTargets?: readonly string[] | 'any';
}

export function contentSecurityPolicy(policy: PagePolicy = {}): string {
  const targets = policy.formTargets;
  const directives = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    ...(targets === 'any' ? [] : [`form-action 'self'${(targets ?? []).map((origin) => ` ${origin}`).join('')}`]),
  ];
  return directives.join('; ');
}

/** The security headers of a page; Cache-Control only where asked (the provider sets its own on what it answers). */
export function setPageHeaders(res: ServerResponse, policy: PagePolicy = {}, { noStore = true } = {}): void {
  res.setHeader('Content-Security-Policy', contentSecurityPolicy(policy));
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  if (noStore) res.setHeader('Cache-Control', 'no-store');
}

/** Sends a rendered page with its headers. */
export function sendPage(res: Response, status: number, html: string, policy: PagePolicy = {}): void {
  setPageHeaders(res, policy);
  res.status(status).type('text/html; charset=utf-8').send(html);
}

/** The origin of a URL, as a CSP source; loopback http with any port for native apps' redirect URIs. */
export function formTarget(uri: string): string | undefined {
  try {
    return new URL(uri).origin;
  } catch {
    return undefined;
  }
}
