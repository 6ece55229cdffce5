import type { ServerResponse } from 'node:http';

/**
 * A JSON response written straight to Node's response: what Express's res.json would send for
 * these bodies (no replacer, no ETag: app.ts disables it), without its per-call content-type
 * lookups and charset parsing, on every endpoint's success (GET /auth/me is the hottest path).
 * Node leaves the body out for HEAD by itself.
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
}
