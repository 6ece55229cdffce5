import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';

/**
 * Runs a header-setting middleware (helmet) once, at start-up, and replays the headers it set
 * on every response. Helmet rebuilds every value on each request (the CSP string is joined
 * anew each time); ours depend on nothing in the request, so one computation serves all.
 * Only for middleware that sets headers synchronously from its options alone.
 */
export function precomputedHeaders(middleware: RequestHandler): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const headers: Array<[string, string]> = [];
  const recorder = {
    setHeader: (name: string, value: string) => void headers.push([name, String(value)]),
    // X-Powered-By: Express is told not to send it (app.disable('x-powered-by')).
    removeHeader: () => undefined,
  };
  let failure: unknown;
  void middleware({ headers: {} } as Request, recorder as unknown as Response, (error?: unknown) => {
    failure = error;
  });
  if (failure) throw failure;
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}
