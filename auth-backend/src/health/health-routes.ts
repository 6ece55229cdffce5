import { Router } from 'express';
import { AppError } from '../errors';
import type { Readiness } from './readiness';

/** Liveness never touches the database; readiness does. */
export function healthRoutes(checkReadiness: () => Promise<Readiness>): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/ready', async (_req, res) => {
    const readiness = await checkReadiness();
    if (!readiness.ready) throw new AppError('not_ready', readiness.reason);
    res.json({ status: 'ready' });
  });
  return router;
}
