/**
 * /admin/clients: the provider's clients, registered by administrators. Every call checks the
 * caller's role in the database first, as every /admin endpoint does (admin/admin-service.ts).
 */
import { endpoint, type AnyEndpoint, type EndpointContext } from '../http/endpoint';
import { requestMeta } from '../http/request-meta';
import type { Authenticated } from '../domain/user';
import type { AdminService } from '../admin/admin-service';
import type { ClientService } from './client-service';
import {
  ClientIdParams,
  ClientListResponse,
  ClientResponse,
  ClientSecretResponse,
  CreateClientBody,
  CreatedClientResponse,
  UpdateClientBody,
  toClientBody,
} from './client-schemas';

export function clientEndpoints(clients: ClientService, admin: AdminService): AnyEndpoint[] {
  const before = async (ctx: EndpointContext<unknown> & { auth?: Authenticated }) => admin.requireAdmin(ctx.auth!);
  const common = { tag: 'clients', bearer: true as const, securityScheme: 'adminBearer' as const, before };
  const id = (params: Record<string, unknown>) => String(params.id);
  const actor = (auth: Authenticated, req: Parameters<typeof requestMeta>[0]) => ({ actorId: auth.user.id, meta: requestMeta(req) });

  return [
    endpoint({
      ...common,
      method: 'post',
      path: '/admin/clients',
      operationId: 'adminCreateClient',
      summary: 'Register an application with the OpenID Provider',
      description:
        'Redirect URIs are matched exactly: https, or http on a loopback address for native apps (which then match with any port). ' +
        'A confidential client gets a secret, in this answer only (stored as a hash).',
      body: CreateClientBody,
      success: { status: 201, description: 'The client, and its secret when it is confidential', schema: CreatedClientResponse },
      failures: [400, 401, 403],
      handle: async ({ body, auth, req }) => {
        const { client, clientSecret } = await clients.create(body, actor(auth, req));
        return CreatedClientResponse.parse({ client: toClientBody(client), ...(clientSecret ? { clientSecret } : {}) });
      },
    }),
    endpoint({
      ...common,
      method: 'get',
      path: '/admin/clients',
      operationId: 'adminListClients',
      summary: 'Every registered application, newest first',
      success: { status: 200, description: 'The clients', schema: ClientListResponse },
      failures: [401, 403],
      handle: async () => ClientListResponse.parse({ clients: (await clients.list()).map(toClientBody) }),
    }),
    endpoint({
      ...common,
      method: 'get',
      path: '/admin/clients/{id}',
      operationId: 'adminGetClient',
      summary: 'One application',
      params: ClientIdParams,
      success: { status: 200, description: 'The client', schema: ClientResponse },
      failures: [401, 403, 404],
      handle: async ({ req }) => ClientResponse.parse({ client: toClientBody(await clients.get(id(req.params))) }),
    }),
    endpoint({
      ...common,
      method: 'patch',
      path: '/admin/clients/{id}',
      operationId: 'adminUpdateClient',
      summary: 'Change an application (its name, redirect URIs, grant types, resources, first-party)',
      params: ClientIdParams,
      body: UpdateClientBody,
      success: { status: 200, description: 'The client as changed', schema: ClientResponse },
      failures: [400, 401, 403, 404],
      handle: async ({ req, body, auth }) => ClientResponse.parse({ client: toClientBody(await clients.update(id(req.params), body, actor(auth, req))) }),
    }),
    endpoint({
      ...common,
      method: 'delete',
      path: '/admin/clients/{id}',
      operationId: 'adminDeleteClient',
      summary: 'Delete an application, revoking every grant and token it holds',
      params: ClientIdParams,
      success: { status: 204, description: 'The client is gone, with its grants, tokens and consents' },
      failures: [401, 403, 404],
      handle: async ({ req, auth }) => clients.delete(id(req.params), actor(auth, req)),
    }),
    endpoint({
      ...common,
      method: 'post',
      path: '/admin/clients/{id}/secret',
      operationId: 'adminRotateClientSecret',
      summary: 'A new secret for a confidential application (the old one stops working)',
      params: ClientIdParams,
      success: { status: 200, description: 'The new secret, shown only here', schema: ClientSecretResponse },
      failures: [400, 401, 403, 404],
      handle: async ({ req, auth }) => ClientSecretResponse.parse({ clientSecret: await clients.rotateSecret(id(req.params), actor(auth, req)) }),
    }),
  ];
}
