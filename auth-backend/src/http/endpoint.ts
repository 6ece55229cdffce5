/**
 * One definition per endpoint: Express mounts it (mountEndpoints) and the OpenAPI document
 * describes it (openapi/openapi-document.ts), so the two cannot drift apart.
 */
import type { Request, Response, Router } from 'express';
import type { Logger } from '../logger';
import { AppError } from '../errors';
import type { Authenticated } from '../domain/user';
import type { z } from './zod';
import { parseInput } from './validate';
import { bearerToken } from './bearer';
import { sendJson } from './send-json';

export interface EndpointContext<Body, Query = unknown> {
  body: Body;
  /** The parsed query string (endpoints that declare `query`). */
  query: Query;
  req: Request;
  res: Response;
  log: Logger;
  /** Aborted when the client disconnects before the response is sent. */
  signal: AbortSignal;
}

/** What a `bearer: true` endpoint's handler gets: the caller, already authenticated. */
export interface AuthenticatedContext<Body> extends EndpointContext<Body> {
  auth: Authenticated;
}

/** What a `success.status: 302` handler returns: where the browser goes next. */
export interface Redirect {
  location: string;
}

interface EndpointBase<Body, Query = unknown> {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  body?: z.ZodType<Body>;
  /** Query parameters: parsed (400 problem when bad) into `ctx.query`, and documented. */
  query?: z.ZodType<Query> & z.ZodObject;
  /** Path parameters (`{id}` in `path`), for the OpenAPI document; the handler reads req.params. */
  params?: z.ZodObject;
  /** 302: the handler returns a Redirect, sent as `Location` (browser flows). */
  success: { status: 200 | 201 | 202 | 204 | 302; description: string; schema?: z.ZodType };
  /** Failure statuses besides the ones every endpoint may answer (500) and, with a body, 413 and 415. */
  failures: number[];
  /** Response headers worth documenting on success (e.g. RateLimit fields). */
  successHeaders?: string[];
  /** Runs after authentication and before the body is parsed; may set headers or throw (throttling). */
  before?: (ctx: EndpointContext<unknown> & { auth?: Authenticated }) => Promise<void>;
}

export interface PublicEndpoint<Body = unknown, Query = unknown> extends EndpointBase<Body, Query> {
  bearer?: false;
  handle: (ctx: EndpointContext<Body, Query>) => Promise<unknown>;
}

/** Requires `Authorization: Bearer <access token>`; mountEndpoints enforces it before anything else runs. */
export interface BearerEndpoint<Body = unknown> extends EndpointBase<Body> {
  bearer: true;
  /** The OpenAPI security scheme: the administrators' own (its `before` checks the role), else the users' bearer. */
  securityScheme?: 'adminBearer';
  handle: (ctx: AuthenticatedContext<Body>) => Promise<unknown>;
}

export type Endpoint<Body = unknown> = PublicEndpoint<Body> | BearerEndpoint<Body>;

// Lists hold endpoints of different body types; each was type-checked where it was defined.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyEndpoint = BearerEndpoint<any> | PublicEndpoint<any, any>;

/** Keeps each endpoint's Body type while collecting them in one list. */
export function endpoint<Body>(definition: BearerEndpoint<Body>): BearerEndpoint<Body>;
export function endpoint<Body, Query = unknown>(definition: PublicEndpoint<Body, Query>): PublicEndpoint<Body, Query>;
export function endpoint<Body>(definition: Endpoint<Body>): Endpoint<Body> {
  return definition;
}

/** Turns a bearer token (or its absence) into the caller, or throws a 401 AppError. */
export type Authenticate = (accessToken: string | undefined, log: Logger) => Promise<Authenticated>;

const toExpressPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

/** Aborted when the client disconnects before the response is sent (or already has: res.destroyed). */
function disconnectSignal(res: Response): AbortSignal {
  const disconnected = new AbortController();
  if (res.destroyed && !res.writableFinished) disconnected.abort();
  else
    res.once('close', () => {
      if (!res.writableFinished) disconnected.abort();
    });
  return disconnected.signal;
}

export function mountEndpoints(router: Router, endpoints: readonly AnyEndpoint[], authenticate: Authenticate): void {
  for (const definition of endpoints) {
    router[definition.method](toExpressPath(definition.path), async (req, res) => {
      // The route template, for the request-duration metric (a bounded label, never the raw path).
      res.locals.route = definition.path;
      const ctx: EndpointContext<unknown> & { auth?: Authenticated } = {
        body: undefined,
        query: undefined,
        req,
        res,
        log: req.log,
        // Made when first asked for: most endpoints never do, and /auth/me is a hot path.
        get signal() {
          const signal = disconnectSignal(res);
          Object.defineProperty(this, 'signal', { value: signal });
          return signal;
        },
      };
      try {
        if (definition.bearer) ctx.auth = await authenticate(bearerToken(req), req.log);
        await definition.before?.(ctx);
        if (definition.body && !req.is('application/json')) throw new AppError('unsupported_media_type', 'Send the request body as application/json.');
        ctx.body = definition.body ? parseInput(definition.body, req.body) : undefined;
        ctx.query = definition.query ? parseInput(definition.query, req.query) : undefined;
        // The union's two handler types differ only in `auth`, which is set above whenever `bearer` is.
        const result = await (definition.handle as (context: typeof ctx) => Promise<unknown>)(ctx);
        if (definition.success.status === 204) res.status(204).end();
        else if (definition.success.status === 302) res.redirect(302, (result as Redirect).location);
        else if (!res.headersSent) sendJson(res, definition.success.status, result);
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
