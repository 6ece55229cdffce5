import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import cors from 'cors';
import { pinoHttp } from 'pino-http';
import type { Config } from './config/config';
import type { Logger } from './logger';
import { AppError } from './errors';
import { assignRequestId } from './http/request-id';
import { errorHandler, notFound } from './http/error-handler';
import { healthRoutes } from './health/health-routes';
import type { Readiness } from './health/readiness';

export interface AppDeps {
  config: Config;
  logger: Logger;
  checkReadiness: () => Promise<Readiness>;
  /** Feature routers mounted after the common middleware (auth, docs). */
  routers?: express.Router[];
}

const ALLOWED_METHODS = new Set(['GET', 'HEAD', 'POST', 'OPTIONS']);

/** TRACE, PUT, DELETE...: nothing here answers them. */
const refuseUnsupportedMethods: RequestHandler = (req, res, next) => {
  if (ALLOWED_METHODS.has(req.method)) return next();
  res.setHeader('Allow', [...ALLOWED_METHODS].join(', '));
  next(new AppError('method_not_allowed', `Method ${req.method} is not supported.`));
};

/** Builds the Express app; listening and shutdown live in server.ts. */
export function createApp({ config, logger, checkReadiness, routers = [] }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.http.trustProxy ?? false);
  app.set('etag', false);

  app.use(
    pinoHttp({
      logger,
      genReqId: assignRequestId,
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(
    helmet({
      strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
      contentSecurityPolicy: {
        useDefaults: true,
        // The /docs page runs Swagger UI from this service only; no CDN.
        directives: { 'script-src': ["'self'"], 'style-src': ["'self'"], 'img-src': ["'self'", 'data:'] },
      },
    }),
  );
  app.use(refuseUnsupportedMethods);
  if (config.http.corsOrigins.length > 0) {
    app.use(cors({ origin: [...config.http.corsOrigins], methods: ['GET', 'POST'], maxAge: 600 }));
  }
  app.use(express.json({ limit: '16kb', strict: true, type: ['application/json', 'application/*+json'] }));

  app.use(healthRoutes(checkReadiness));
  for (const router of routers) app.use(router);

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
