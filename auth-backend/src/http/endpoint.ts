/**
 * One definition per endpoint: Express mounts it (mountEndpoints) and the OpenAPI document
 * describes it (openapi/openapi-document.ts), so the two cannot drift apart.
 */
import type { Request, Response, Router } from 'express';
import type { Logger } from '../logger';
import { AppError } from '../errors';
import type { z } from './zod';
import { parseInput } from './validate';

export interface EndpointContext<Body> {
  body: Body;
  req: Request;
  res: Response;
  log: Logger;
  /** Aborted when the client disconnects before the response is sent. */
  signal: AbortSignal;
}

export interface Endpoint<Body = unknown> {
  method: 'get' | 'post';
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Requires `Authorization: Bearer <access token>`. */
  bearer?: boolean;
  body?: z.ZodType<Body>;
  success: { status: 200 | 201 | 204; description: string; schema?: z.ZodType };
  /** Failure statuses besides the ones every endpoint may answer (500) and, with a body, 413 and 415. */
  failures: number[];
  /** Response headers worth documenting on success (e.g. RateLimit fields). */
  successHeaders?: string[];
  /** Runs before the body is parsed; may set headers or throw (throttling, authentication). */
  before?: (ctx: EndpointContext<unknown>) => Promise<void>;
  handle: (ctx: EndpointContext<Body>) => Promise<unknown>;
}

// Lists hold endpoints of different body types; each was type-checked where it was defined.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyEndpoint = Endpoint<any>;

/** Keeps each endpoint's Body type while collecting them in one list. */
export const endpoint = <Body>(definition: Endpoint<Body>): Endpoint<Body> => definition;

const toExpressPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

export function mountEndpoints(router: Router, endpoints: readonly AnyEndpoint[]): void {
  for (const definition of endpoints) {
    router[definition.method](toExpressPath(definition.path), async (req, res) => {
      const disconnected = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) disconnected.abort();
      });
      const ctx: EndpointContext<unknown> = { body: undefined, req, res, log: req.log, signal: disconnected.signal };
      try {
        await definition.before?.(ctx);
        if (definition.body && !req.is('application/json')) throw new AppError('unsupported_media_type', 'Send the request body as application/json.');
        ctx.body = definition.body ? parseInput(definition.body, req.body) : undefined;
        const result = await definition.handle(ctx);
        if (definition.success.status === 204) res.status(204).end();
        else if (!res.headersSent) res.status(definition.success.status).json(result);
      } catch (error) {
        if (definition.bearer && error instanceof AppError && error.status === 401) {
          const scheme = req.headers.authorization ? 'Bearer realm="auth-backend", error="invalid_token"' : 'Bearer realm="auth-backend"';
          error.extras.headers = { ...error.extras.headers, 'WWW-Authenticate': scheme };
        }
        throw error;
      }
    });
  }
}
