/**
 * The service's HTTP request listener. Every request goes to the Express app, except those for the
 * OpenID Provider's endpoints that applications' back ends call (token, introspection, revocation,
 * userinfo, device authorization, discovery: no page, no form of ours, no hook that needs Express),
 * which go straight to the provider library, itself a complete (Koa) application, after the steps
 * every response gets: the request id and its log line, the duration metric and the security
 * headers, the very middleware the Express app runs first.
 *
 * Why: Express added only cost there. It swaps the request's and response's prototypes for its own
 * and walks its router's layers before the library runs; a client_credentials request cost about
 * 1.5x the CPU with it (docs/performance.md). The Express app still answers those paths the same
 * way (the tests that drive it directly with supertest go through it).
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Express } from 'express';
import { pathOf } from './request-logger';

/** A step every response gets: synchronous, it calls next() once and never fails. */
export type EveryResponseStep = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export interface DirectLane {
  /** The paths served past Express (exact, without the query string). */
  paths: ReadonlySet<string>;
  /** The steps before the handler, in order (the Express app runs the same ones first). */
  everyResponse: readonly EveryResponseStep[];
  handle(req: IncomingMessage, res: ServerResponse): void;
}

export function frontDoor(app: Express, lane: DirectLane): RequestListener {
  const { paths, everyResponse, handle } = lane;
  return (req, res) => {
    const path = pathOf(req.url);
    if (!paths.has(path)) return void app(req, res);
    // The duration metric's route label (metrics/request-duration.ts): the endpoint's fixed path.
    (res as ServerResponse & { locals?: Record<string, unknown> }).locals = { route: path };
    let step = 0;
    const next = (): void => {
      const run = everyResponse[step++];
      if (run) run(req, res, next);
      else handle(req, res);
    };
    next();
  };
}
