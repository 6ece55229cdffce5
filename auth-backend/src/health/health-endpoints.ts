import { z } from '../http/zod';
import { endpoint, type AnyEndpoint } from '../http/endpoint';
import { AppError } from '../errors';
import type { Readiness } from './readiness';

const HealthResponse = z.object({ status: z.literal('ok') }).openapi('HealthResponse');
const ReadyResponse = z.object({ status: z.literal('ready') }).openapi('ReadyResponse');

/** Liveness never touches the database; readiness does. */
export function healthEndpoints(checkReadiness: () => Promise<Readiness>): AnyEndpoint[] {
  return [
    endpoint({
      method: 'get',
      path: '/health',
      operationId: 'health',
      summary: 'Liveness: the process is up',
      tag: 'operations',
      success: { status: 200, description: 'Alive', schema: HealthResponse },
      failures: [],
      handle: async () => ({ status: 'ok' }),
    }),
    endpoint({
      method: 'get',
      path: '/ready',
      operationId: 'ready',
      summary: 'Readiness: the database answers and no migration is pending',
      tag: 'operations',
      success: { status: 200, description: 'Ready to serve', schema: ReadyResponse },
      failures: [503],
      handle: async () => {
        const readiness = await checkReadiness();
        if (!readiness.ready) throw new AppError('not_ready', readiness.reason);
        return { status: 'ready' };
      },
    }),
  ];
}
