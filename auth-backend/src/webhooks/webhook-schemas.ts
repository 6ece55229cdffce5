import { z } from '../http/zod';
import { AUDIT_EVENT_TYPES } from '../domain/audit';
import type { WebhookRow } from '../tables/webhooks';
import type { DeliveryRow } from '../tables/webhook-deliveries';

const eventType = z.enum(['*', ...AUDIT_EVENT_TYPES]);
const events = z
  .array(eventType)
  .min(1, 'must name at least one event type, or "*"')
  .max(100)
  .openapi({ description: 'Audit event types to receive, or ["*"] for every one' });
const url = z.string().trim().max(2000).openapi({ format: 'uri', description: 'https (in production), on a public address' });
const description = z.string().trim().max(500).nullable();

export const CreateWebhookBody = z.strictObject({ url, events, description: description.optional() }).openapi('CreateWebhookBody');
export const UpdateWebhookBody = z
  .strictObject({ url: url.optional(), events: events.optional(), enabled: z.boolean().optional(), description: description.optional() })
  .openapi('UpdateWebhookBody');

export const WebhookIdParams = z.object({ id: z.string().openapi({ format: 'uuid', description: 'A webhook id' }) });
export const DeliveryIdParams = WebhookIdParams.extend({ deliveryId: z.string().openapi({ format: 'uuid', description: 'A delivery id (its webhook-id)' }) });

export const DeliveryQuery = z.strictObject({
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be a whole number from 1 to 100')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 100, 'must be a whole number from 1 to 100')
    .optional()
    .openapi({ type: 'integer', minimum: 1, maximum: 100, default: 50 }),
  cursor: z.string().max(200).optional().openapi({ description: 'The `nextCursor` of the previous page' }),
});

export const WebhookSchema = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    enabled: z.boolean(),
    disabledReason: z.string().nullable().openapi({ description: 'Why the service disabled it (410 Gone, or failing too long)' }),
    createdAt: z.iso.datetime(),
  })
  .openapi('Webhook');

export const DeliverySchema = z
  .object({
    id: z.string().openapi({ format: 'uuid', description: 'The `webhook-id` of every attempt' }),
    eventType: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int().nonnegative(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    deliveredAt: z.iso.datetime().nullable(),
  })
  .openapi('WebhookDelivery');

export const WebhookResponse = z.object({ webhook: WebhookSchema }).openapi('WebhookResponse');
export const CreatedWebhookResponse = z
  .object({ webhook: WebhookSchema, secret: z.string().openapi({ description: 'The signing secret (whsec_...), shown only here' }) })
  .openapi('CreatedWebhookResponse');
export const WebhookListResponse = z.object({ webhooks: z.array(WebhookSchema) }).openapi('WebhookListResponse');
export const WebhookSecretResponse = z.object({ secret: z.string() }).openapi('WebhookSecretResponse');
export const DeliveryListResponse = z.object({ deliveries: z.array(DeliverySchema), nextCursor: z.string().nullable() }).openapi('WebhookDeliveryList');

export const DeliveryAccepted = z
  .object({ deliveryId: z.string().openapi({ format: 'uuid', description: 'The delivery (its webhook-id)' }) })
  .openapi('WebhookDeliveryAccepted');

export const toWebhookBody = (webhook: WebhookRow): z.input<typeof WebhookSchema> => ({
  id: webhook.id,
  url: webhook.url,
  events: webhook.events,
  description: webhook.description,
  enabled: webhook.enabled,
  disabledReason: webhook.disabledReason,
  createdAt: webhook.createdAt.toISOString(),
});

export const toDeliveryBody = (delivery: DeliveryRow): z.input<typeof DeliverySchema> => ({
  id: delivery.id,
  eventType: delivery.eventType,
  status: delivery.status,
  attempts: delivery.attempts,
  lastStatusCode: delivery.lastStatusCode,
  lastError: delivery.lastError,
  nextAttemptAt: delivery.status === 'pending' ? delivery.nextAttemptAt.toISOString() : null,
  createdAt: delivery.createdAt.toISOString(),
  deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
});
