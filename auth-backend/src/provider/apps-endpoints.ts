/** /auth/apps: the applications the caller let use their account, and taking one back. */
import { endpoint, type AnyEndpoint } from '../http/endpoint';
import { requestMeta } from '../http/request-meta';
import type { AppsService } from './apps-service';
import { AppParams, AppsResponse, toAppBody } from './client-schemas';

export function appsEndpoints(apps: AppsService): AnyEndpoint[] {
  const tag = 'apps';
  return [
    endpoint({
      method: 'get',
      path: '/auth/apps',
      operationId: 'listApps',
      summary: "The applications the caller granted access to (through the OpenID Provider's sign-in)",
      tag,
      bearer: true,
      success: { status: 200, description: 'Most recently granted first', schema: AppsResponse },
      failures: [401],
      handle: async ({ auth }) => AppsResponse.parse({ apps: (await apps.list(auth)).map(toAppBody) }),
    }),
    endpoint({
      method: 'delete',
      path: '/auth/apps/{clientId}',
      operationId: 'revokeApp',
      summary: 'Take an application’s access back',
      description: 'The consent and every grant and token of that application for the caller are revoked; its next sign-in asks again.',
      tag,
      bearer: true,
      params: AppParams,
      success: { status: 204, description: 'Revoked' },
      failures: [401, 404],
      handle: async ({ auth, req }) => apps.revoke(auth, String(req.params.clientId), requestMeta(req)),
    }),
  ];
}
