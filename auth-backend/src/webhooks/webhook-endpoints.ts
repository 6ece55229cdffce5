/**
 * /admin/webhooks: the HTTP contract of docs/api.md ("Webhooks and security notifications"). Every
 * call checks the caller's role in the database first, as every /admin endpoint does.
 */
import { endpoint, type AnyEndpoint, type EndpointContext } from '../http/endpoint';
import { parseInput } from '../http/validate';
import { requestMeta } from '../http/request-meta';
import type { Authenticated } from '../domain/user';
import type { WebhookService } from './webhook-service';
import {
  CreateWebhookBody,
  CreatedWebhookResponse,
  DeliveryAccepted,
  DeliveryIdParams,
  DeliveryListResponse,
  DeliveryQuery,
  UpdateWebhookBody,
  WebhookIdParams,
  WebhookListResponse,
  WebhookResponse,
  WebhookSecretResponse,
  toDeliveryBody,
  toWebhookBody,
} from './webhook-schemas';

export function webhookEndpoints(webhooks: WebhookService, requireAdmin: (auth: Authenticated) => Promise<void>): AnyEndpoint[] {
  const before = async (ctx: EndpointContext<unknown> & { auth?: Authenticated }) => requireAdmin(ctx.auth!);
  const common = { tag: 'webhooks', bearer: true as const, securityScheme: 'adminBearer' as const, before };
  const id = (params: Record<string, unknown>) => String(params.id);
  const actor = (auth: Authenticated, req: Parameters<typeof requestMeta>[0]) => ({ id: auth.user.id, meta: requestMeta(req) });

  return [
    endpoint({
      ...common,
      method: 'post',
      path: '/admin/webhooks',
      operationId: 'adminCreateWebhook',
      summary: 'Register a webhook endpoint',
      description: 'The URL must be https on a public address (unless WEBHOOK_ALLOW_INSECURE=true); the signing secret is in this answer only.',
      body: CreateWebhookBody,
      success: { status: 201, description: 'The webhook and its signing secret', schema: CreatedWebhookResponse },
      failures: [400, 401, 403],
      handle: async ({ body, auth, req }) => {
        const { webhook, secret } = await webhooks.create(actor(auth, req), body);
        return CreatedWebhookResponse.parse({ webhook: toWebhookBody(webhook), secret });
      },
    }),
    endpoint({
      ...common,
      method: 'get',
      path: '/admin/webhooks',
      operationId: 'adminListWebhooks',
      summary: 'Webhook endpoints, newest first',
      success: { status: 200, description: 'Every webhook', schema: WebhookListResponse },
      failures: [401, 403],
      handle: async () => WebhookListResponse.parse({ webhooks: (await webhooks.list()).map(toWebhookBody) }),
    }),
    endpoint({
      ...common,
      method: 'get',
      path: '/admin/webhooks/{id}',
      operationId: 'adminGetWebhook',
      summary: 'One webhook endpoint',
      params: WebhookIdParams,
      success: { status: 200, description: 'The webhook', schema: WebhookResponse },
      failures: [401, 403, 404],
      handle: async ({ req }) => WebhookResponse.parse({ webhook: toWebhookBody(await webhooks.get(id(req.params))) }),
    }),
    endpoint({
      ...common,
      method: 'patch',
      path: '/admin/webhooks/{id}',
      operationId: 'adminUpdateWebhook',
      summary: 'Change a webhook’s URL, events, description, or enable/disable it',
      params: WebhookIdParams,
      body: UpdateWebhookBody,
      success: { status: 200, description: 'The webhook as changed', schema: WebhookResponse },
      failures: [400, 401, 403, 404],
      handle: async ({ req, body, auth }) => WebhookResponse.parse({ webhook: toWebhookBody(await webhooks.update(actor(auth, req), id(req.params), body)) }),
    }),
    endpoint({
      ...common,
      method: 'delete',
      path: '/admin/webhooks/{id}',
      operationId: 'adminDeleteWebhook',
      summary: 'Delete a webhook endpoint; its pending deliveries are dropped',
      params: WebhookIdParams,
      success: { status: 204, description: 'The webhook is gone, with its deliveries' },
      failures: [401, 403, 404],
      handle: async ({ req, auth }) => webhooks.remove(actor(auth, req), id(req.params)),
    }),
    endpoint({
      ...common,
      method: 'post',
      path: '/admin/webhooks/{id}/secret',
      operationId: 'adminRotateWebhookSecret',
      summary: 'A new signing secret; for 24 hours deliveries carry signatures by both secrets',
      params: WebhookIdParams,
      success: { status: 200, description: 'The new secret, shown only here', schema: WebhookSecretResponse },
      failures: [401, 403, 404],
      handle: async ({ req, auth }) => WebhookSecretResponse.parse(await webhooks.rotateSecret(actor(auth, req), id(req.params))),
    }),
    endpoint({
      ...common,
      method: 'get',
      path: '/admin/webhooks/{id}/deliveries',
      operationId: 'adminListWebhookDeliveries',
      summary: 'A webhook’s deliveries, newest first',
      params: WebhookIdParams,
      query: DeliveryQuery,
      success: { status: 200, description: 'A page of deliveries and the cursor of the next page (null after the last)', schema: DeliveryListResponse },
      failures: [400, 401, 403, 404],
      handle: async ({ req }) => {
        const query = parseInput(DeliveryQuery, req.query);
        const page = await webhooks.deliveries(id(req.params), { status: query.status, limit: query.limit ?? 50, cursor: query.cursor });
        return DeliveryListResponse.parse({ deliveries: page.items.map(toDeliveryBody), nextCursor: page.nextCursor });
      },
    }),
    endpoint({
      ...common,
      method: 'post',
      path: '/admin/webhooks/{id}/deliveries/{deliveryId}/retry',
      operationId: 'adminRetryWebhookDelivery',
      summary: 'Deliver again now, with the same webhook-id',
      params: DeliveryIdParams,
      success: { status: 202, description: 'The delivery is due again now', schema: DeliveryAccepted },
      failures: [401, 403, 404],
      handle: async ({ req }) => {
        const deliveryId = String(req.params.deliveryId);
        await webhooks.retry(id(req.params), deliveryId);
        return DeliveryAccepted.parse({ deliveryId });
      },
    }),
    endpoint({
      ...common,
      method: 'post',
      path: '/admin/webhooks/{id}/test',
      operationId: 'adminTestWebhook',
      summary: 'Send a webhook.test event to this endpoint, whatever its events',
      params: WebhookIdParams,
      success: { status: 202, description: 'The test event is queued', schema: DeliveryAccepted },
      failures: [401, 403, 404],
      handle: async ({ req, auth }) => DeliveryAccepted.parse({ deliveryId: await webhooks.test(actor(auth, req), id(req.params)) }),
    }),
  ];
}
