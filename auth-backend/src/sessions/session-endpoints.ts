import { endpoint, type AnyEndpoint } from '../http/endpoint';
import { requestMeta } from '../http/request-meta';
import { TokenResponse, tokenBody } from '../tokens/token-response';
import type { SessionService } from './session-service';
import { LogoutBody, RefreshBody, SessionIdParams, SessionsResponse } from './session-schemas';

/** Sessions: refresh, logout, logout everywhere, the caller's list, revoking one. */
export function sessionEndpoints(sessions: SessionService): AnyEndpoint[] {
  const tag = 'auth';
  return [
    endpoint({
      method: 'post',
      path: '/auth/refresh',
      operationId: 'refresh',
      summary: 'Exchange a refresh token for a new token pair (rotation)',
      description: 'Presenting an already-rotated refresh token revokes its whole session (reuse detection).',
      tag,
      body: RefreshBody,
      success: { status: 200, description: 'A new token pair; the presented refresh token is spent', schema: TokenResponse },
      failures: [400, 401],
      handle: async ({ body, req, log }) => tokenBody(await sessions.refresh(body.refreshToken, log, requestMeta(req))),
    }),
    endpoint({
      method: 'post',
      path: '/auth/logout',
      operationId: 'logout',
      summary: 'Revoke the session of a refresh token',
      description: 'Idempotent: an unknown or already revoked token also answers 204.',
      tag,
      body: LogoutBody,
      success: { status: 204, description: 'The session is revoked' },
      failures: [400],
      handle: async ({ body, req, log }) => sessions.logout(body.refreshToken, log, requestMeta(req)),
    }),
    endpoint({
      method: 'post',
      path: '/auth/logout-all',
      operationId: 'logoutAll',
      summary: 'Revoke every session of the current user',
      tag,
      bearer: true,
      success: { status: 204, description: 'Every refresh token of the user is revoked' },
      failures: [401],
      handle: async ({ auth, req, log }) => sessions.logoutAll(auth, log, requestMeta(req)),
    }),
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
        const live = await sessions.list(auth);
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
      handle: async ({ auth, req, log }) => sessions.revoke(auth, String(req.params.id), log, requestMeta(req)),
    }),
  ];
}
