/**
 * Request ids and request logging, purpose-built (it replaced pino-http, whose per-request
 * serializer wrappers, two child loggers and redaction of the completion line cost more than a
 * third of a cheap request: docs/performance.md).
 *
 * - Each request gets an id (http/request-id.ts), echoed in X-Request-Id; `req.log` is a child
 *   logger bound to it (`reqId`), so every line an endpoint or the error handler writes carries it.
 * - Exactly one completion line per request, at `error` for a 5xx, else `info`, with `reqId`,
 *   `req: { id, method, path }`, `res: { statusCode }` and `responseTime` (ms).
 * - The path is logged without its query string: a client that puts a password or token in the
 *   URL (`POST /auth/login?password=...`) must not put it into the logs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger';
import { assignRequestId } from './request-id';

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id (X-Request-Id), set by requestLogger. */
    id: string;
    /** The logger of this request: every line carries `reqId`. */
    log: Logger;
  }
}

/** The request target without its query string (or fragment). */
export function pathOf(url: string | undefined): string {
  if (!url) return '';
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

export function requestLogger(logger: Logger): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  // The completion line holds only what is built below (no header, no body, no query string),
  // so it skips the redaction pass, which cost more than writing the line itself. Every other
  // line (through req.log) is redacted as before.
  const completions = logger.child({}, { redact: { paths: [] } });
  return (req, res, next) => {
    const started = performance.now();
    const id = assignRequestId(req, res);
    req.id = id;
    req.log = logger.child({ reqId: id });
    // 'close' comes once per response: after 'finish', or when the client went away first.
    res.once('close', () => logCompletion(completions, req, res, id, performance.now() - started));
    next();
  };
}

function logCompletion(log: Logger, req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, id: string, elapsedMs: number): void {
  const line = {
    reqId: id,
    // originalUrl (Express's): routers mounted on a prefix rewrite req.url while they run.
    req: { id, method: req.method, path: pathOf(req.originalUrl ?? req.url) },
    res: { statusCode: res.statusCode },
    responseTime: Math.round(elapsedMs),
  };
  if (res.statusCode >= 500) log.error(line, 'request failed');
  else log.info(line, res.writableFinished ? 'request completed' : 'request aborted');
}
