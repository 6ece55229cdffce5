import type { IncomingMessage, ServerResponse } from 'node:http';
import { UNMATCHED_ROUTE, type Metrics } from './metrics';

/**
 * Times every request into http_request_duration_seconds. The route label is the endpoint's
 * template (`/admin/users/{id}`, set by mountEndpoints in res.locals.route), never the raw path,
 * so that the number of series stays bounded whatever paths clients send.
 */
export function requestDuration(
  metrics: Metrics,
): (req: IncomingMessage, res: ServerResponse & { locals?: Record<string, unknown> }, next: () => void) => void {
  return (req, res, next) => {
    const started = performance.now();
    res.once('close', () => {
      const route = typeof res.locals?.route === 'string' ? res.locals.route : UNMATCHED_ROUTE;
      metrics.observeRequest(req.method ?? 'GET', route, res.statusCode, (performance.now() - started) / 1000);
    });
    next();
  };
}
