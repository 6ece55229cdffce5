import type { RequestListener } from 'node:http';
import express, { Router, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import cors from 'cors';
import type { Config } from './config/config';
import type { Logger } from './logger';
import type { Database } from './db/database';
import { systemClock, type Clock } from './clock';
import { AppError } from './errors';
import { requestLogger } from './http/request-logger';
import { precomputedHeaders } from './http/static-headers';
import { errorHandler, notFound } from './http/error-handler';
import { mountEndpoints, type AnyEndpoint } from './http/endpoint';
import { jsonBody } from './http/json-body';
import { createReadinessCheck } from './health/readiness';
import { listLocalMigrations } from './migrations/migration-state';
import { compose, type Composition } from './composition';
import { buildOpenApiDocument } from './openapi/openapi-document';
import { docsRoutes } from './openapi/docs-routes';
import { migrationsDir } from './paths';
import { requestDuration } from './metrics/request-duration';
import { frontDoor, type EveryResponseStep } from './http/front-door';
import { MACHINE_PATHS, isProviderPath } from './provider/provider-configuration';

export interface AppDeps {
  config: Config;
  logger: Logger;
  db: Database;
  clock?: Clock;
  /** /ready answers 503 while this is true (the entrypoint sets it on SIGTERM). */
  isShuttingDown?: () => boolean;
}

export const HELMET_OPTIONS: Parameters<typeof helmet>[0] = {
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  contentSecurityPolicy: {
    useDefaults: true,
    // The /docs page runs Swagger UI from this service only; no CDN.
    directives: { 'script-src': ["'self'"], 'style-src': ["'self'"], 'img-src': ["'self'", 'data:'] },
  },
};

const ALLOWED_METHODS = new Set(['GET', 'HEAD', 'POST', 'OPTIONS']);

/** TRACE, PUT...: nothing here answers them; DELETE and PATCH only where an endpoint routes them. */
const refuseUnsupportedMethods = (endpoints: readonly AnyEndpoint[]): RequestHandler => {
  const routes = (method: string) => endpoints.filter((e) => e.method === method).map((e) => new RegExp(`^${e.path.replace(/\{\w+\}/g, '[^/]+')}$`));
  const deletable = routes('delete');
  const patchable = routes('patch');
  return (req, res, next) => {
    if (ALLOWED_METHODS.has(req.method)) return next();
    const deleteAllowed = deletable.some((route) => route.test(req.path));
    const patchAllowed = patchable.some((route) => route.test(req.path));
    if ((req.method === 'DELETE' && deleteAllowed) || (req.method === 'PATCH' && patchAllowed)) return next();
    res.setHeader('Allow', [...ALLOWED_METHODS, ...(deleteAllowed ? ['DELETE'] : []), ...(patchAllowed ? ['PATCH'] : [])].join(', '));
    next(new AppError('method_not_allowed', `Method ${req.method} is not supported.`));
  };
};

/** Tokens and account data are never cached by browsers or proxies. */
const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

export interface Service extends Composition {
  app: Express;
  /** What the HTTP server runs: the app, with the provider's machine endpoints past Express (http/front-door.ts). */
  handler: RequestListener;
}

/** Builds the services and the Express app over them; listening and shutdown live in server.ts and entrypoint.ts. */
export function createService({ config, logger, db, clock = systemClock, isShuttingDown = () => false }: AppDeps): Service {
  const checkReadiness = createReadinessCheck({
    pool: db.pool,
    localMigrations: listLocalMigrations(migrationsDir()),
    isShuttingDown,
    ridingOutFailover: db.ridingOutFailover,
  });
  const composition = compose({ config, db, clock, checkReadiness, logger });
  const everyResponse = everyResponseSteps(logger, composition);
  const app = buildExpressApp(config, everyResponse, composition);
  const handler = frontDoor(app, { paths: MACHINE_PATHS, everyResponse, handle: composition.services.provider.host.direct() });
  return { ...composition, app, handler };
}

/** What every response gets first, whichever way the front door sends it: its id and log line, the duration metric, the security headers. */
function everyResponseSteps(logger: Logger, { services }: Composition): EveryResponseStep[] {
  return [requestLogger(logger), ...(services.metrics ? [requestDuration(services.metrics)] : []), precomputedHeaders(helmet(HELMET_OPTIONS))];
}

/** Just the HTTP side, for callers that run no workers. */
export const createApp = (deps: AppDeps): Express => createService(deps).app;

function buildExpressApp(config: Config, everyResponse: readonly EveryResponseStep[], { endpoints, services, routers }: Composition): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.http.trustProxy ?? false);
  app.set('etag', false);

  for (const step of everyResponse) app.use(step);
  // Before the method check, so that a 405 on /auth/* is not cacheable either.
  app.use('/auth', noStore);
  app.use('/admin', noStore);
  app.use(refuseUnsupportedMethods(endpoints));
  if (config.http.corsOrigins.length > 0) {
    const jsonApiCors = cors({
      origin: [...config.http.corsOrigins],
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['Content-Type', 'Authorization', 'X-Request-Id'],
      maxAge: 600,
    });
    // The provider's paths answer CORS by the library's own rule (a client's redirect-URI origins), as the front door's direct lane does.
    app.use((req, res, next) => (isProviderPath(req.path) ? next() : jsonApiCors(req, res, next)));
  }
  // Pages (with their own headers and form bodies) and the OpenID Provider (which reads its own bodies).
  for (const router of routers) app.use(router);
  app.use(jsonBody());

  const router = Router();
  mountEndpoints(router, endpoints, (token, log) => services.authenticator.authenticate(token, log));
  app.use(router);
  app.use(docsRoutes(buildOpenApiDocument(endpoints, { version: '3.0.0' })));

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
