import { endpoint, type AnyEndpoint } from '../http/endpoint';
import { z } from '../http/zod';
import { AppError } from '../errors';
import type { SessionsTable } from '../tables/sessions';
import type { AuthService } from '../auth/auth-service';
import { requestMeta } from '../http/request-meta';

const SessionSchema = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    createdAt: z.iso.datetime().openapi({ description: 'Login or registration that opened the session, ISO 8601 UTC' }),
    lastUsedAt: z.iso.datetime().openapi({ description: 'Last refresh (authenticated requests do not count), ISO 8601 UTC' }),
    userAgent: z.string().nullable().openapi({ description: 'User-Agent of the login, truncated to 512 characters' }),
    current: z.boolean().openapi({ description: 'True for the session of the access token making this request' }),
  })
  .openapi('Session');

export const SessionsResponse = z.object({ sessions: z.array(SessionSchema) }).openapi('SessionsResponse');

const SessionIdParams = z.object({ id: z.string().openapi({ format: 'uuid', description: 'A session id from GET /auth/sessions' }) });

export function sessionEndpoints(sessions: SessionsTable, authService: AuthService): AnyEndpoint[] {
  const tag = 'auth';
  return [
    endpoint({
      method: 'get',
      path: '/auth/sessions',
      operationId: 'listSessions',
      summary: "The caller's active sessions, newest first",
      tag,
      bearer: true,
      success: { status: 200, description: 'Sessions that can still refresh; `current` marks the caller’s', schema: SessionsResponse },
      failures: [401],
      handle: async ({ auth }) => {
        const live = await sessions.listLive(auth.user.id);
        return SessionsResponse.parse({
          sessions: live.map((session) => ({
            id: session.id,
            createdAt: session.createdAt.toISOString(),
            lastUsedAt: session.lastUsedAt.toISOString(),
            userAgent: session.userAgent,
            current: session.id === auth.sessionId,
          })),
        });
      },
    }),
    endpoint({
      method: 'delete',
      path: '/auth/sessions/{id}',
      operationId: 'revokeSession',
      summary: 'Revoke one of the caller’s sessions',
      description:
        'Its refresh token stops working at once and its access tokens get 401 from then on. ' +
        'An unknown, malformed, already revoked or another user’s id answers 404 (never 403).',
      tag,
      bearer: true,
      params: SessionIdParams,
      success: { status: 204, description: 'The session is revoked' },
      failures: [401, 404],
      handle: async ({ auth, req, log }) => {
        const id = String(req.params.id);
        if (!(await authService.revokeSession(auth, id, requestMeta(req)))) throw new AppError('not_found', 'No such session.');
        log.info({ event: 'auth.session-revoke', outcome: 'success', userId: auth.user.id, sessionId: id, own: id === auth.sessionId }, 'session revoked');
      },
    }),
  ];
}
