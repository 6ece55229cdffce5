/**
 * The administrators' webhook use cases (docs/webhooks.md): the admin API calls them, and so can
 * the admin console; knows nothing of HTTP. Every change is audited in its own transaction.
 *
 *   list / get / create / update / remove / rotateSecret / deliveries / retry / test
 *
 * A secret is shown once (create, rotateSecret) and stored sealed. A URL is checked by the SSRF
 * guard here (400 invalid_webhook_url) and again at every connection by the worker.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../errors';
import type { Clock } from '../clock';
import type { Transactions } from '../db/transaction';
import type { AuditLog } from '../audit/audit-log';
import type { RequestMeta } from '../domain/audit';
import type { Envelope } from '../crypto/key-encryption';
import type { Cursors } from '../admin/cursor';
import type { WebhookChanges, WebhookRow, WebhooksTable } from '../tables/webhooks';
import type { DeliveryRow, DeliveryStatus, WebhookDeliveriesTable } from '../tables/webhook-deliveries';
import { newWebhookSecret } from './webhook-signature';
import { webhookSecretContext } from './webhook-secrets';
import { RefusedUrl, type UrlGuard } from './url-guard';

/** How long the previous secret keeps signing after a rotation. */
export const SECRET_OVERLAP_MS = 24 * 3600 * 1000;

export interface WebhookServiceDeps {
  transaction: Transactions;
  webhooks: WebhooksTable;
  deliveries: WebhookDeliveriesTable;
  audit: AuditLog;
  secrets: Envelope;
  guard: UrlGuard;
  cursors: Cursors;
  clock: Clock;
}

export interface NewWebhookInput {
  url: string;
  events: string[];
  description?: string | null;
}

/** Who asks: the administrator's id and the request. */
export interface Actor {
  id: string;
  meta?: RequestMeta;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const noSuchWebhook = () => new AppError('not_found', 'No such webhook.');

export class WebhookService {
  constructor(private readonly deps: WebhookServiceDeps) {}

  list(): Promise<WebhookRow[]> {
    return this.deps.webhooks.list();
  }

  async get(id: string): Promise<WebhookRow> {
    const webhook = UUID.test(id) ? await this.deps.webhooks.find(id) : null;
    if (!webhook) throw noSuchWebhook();
    return webhook;
  }

  /** The endpoint and its secret (shown this once). */
  async create(actor: Actor, input: NewWebhookInput): Promise<{ webhook: WebhookRow; secret: string }> {
    const { transaction, webhooks, audit, secrets, clock } = this.deps;
    const url = await this.checkedUrl(input.url);
    const id = randomUUID();
    const secret = newWebhookSecret();
    const sealedSecret = secrets.seal(Buffer.from(secret, 'utf8'), webhookSecretContext(id));
    const events = [...new Set(input.events)];
    const webhook = await transaction(async (tx) => {
      const created = await webhooks.in(tx).create({ id, url, events, description: input.description ?? null, sealedSecret, now: clock() });
      await audit.in(tx).record({ type: 'webhook.created', userId: null, actorId: actor.id, meta: actor.meta, data: { webhookId: id, events } });
      return created;
    });
    return { webhook, secret };
  }

  async update(actor: Actor, id: string, changes: WebhookChanges): Promise<WebhookRow> {
    await this.get(id);
    const { transaction, webhooks, audit, clock } = this.deps;
    const checked = { ...changes, ...(changes.url !== undefined ? { url: await this.checkedUrl(changes.url) } : {}) };
    if (checked.events) checked.events = [...new Set(checked.events)];
    const updated = await transaction(async (tx) => {
      const webhook = await webhooks.in(tx).update(id, checked, clock());
      if (!webhook) return null;
      await audit.in(tx).record({
        type: 'webhook.updated',
        userId: null,
        actorId: actor.id,
        meta: actor.meta,
        data: { webhookId: id, fields: Object.keys(changes), enabled: webhook.enabled },
      });
      return webhook;
    });
    if (!updated) throw noSuchWebhook();
    return updated;
  }

  /** Deletes the endpoint with every delivery of it (the pending ones are never sent). */
  async remove(actor: Actor, id: string): Promise<void> {
    if (!UUID.test(id)) throw noSuchWebhook();
    const { transaction, webhooks, audit } = this.deps;
    const removed = await transaction(async (tx) => {
      if (!(await webhooks.in(tx).delete(id))) return false;
      await audit.in(tx).record({ type: 'webhook.deleted', userId: null, actorId: actor.id, meta: actor.meta, data: { webhookId: id } });
      return true;
    });
    if (!removed) throw noSuchWebhook();
  }

  /** A new secret (shown this once); the previous one keeps signing beside it for 24 hours. */
  async rotateSecret(actor: Actor, id: string): Promise<{ secret: string }> {
    if (!UUID.test(id)) throw noSuchWebhook();
    const { transaction, webhooks, audit, secrets, clock } = this.deps;
    const secret = newWebhookSecret();
    const sealed = secrets.seal(Buffer.from(secret, 'utf8'), webhookSecretContext(id));
    const now = clock();
    const rotated = await transaction(async (tx) => {
      if (!(await webhooks.in(tx).rotateSecret(id, sealed, new Date(now.getTime() + SECRET_OVERLAP_MS), now))) return false;
      await audit.in(tx).record({ type: 'webhook.secret_rotated', userId: null, actorId: actor.id, meta: actor.meta, data: { webhookId: id } });
      return true;
    });
    if (!rotated) throw noSuchWebhook();
    return { secret };
  }

  /** The endpoint's deliveries, newest first, a page at a time. */
  async deliveries(
    id: string,
    query: { status?: DeliveryStatus; limit: number; cursor?: string },
  ): Promise<{ items: DeliveryRow[]; nextCursor: string | null }> {
    await this.get(id);
    const list = `webhook-deliveries:${id}`;
    const { cursors, deliveries } = this.deps;
    const items = await deliveries.list(id, { status: query.status, limit: query.limit, before: cursors.decode(list, query.cursor) });
    return { items, nextCursor: cursors.next(list, items, query.limit, (item) => ({ at: item.createdAt, id: item.id })) };
  }

  /** Delivers again now, with the same webhook-id (pending again, whatever it was). */
  async retry(id: string, deliveryId: string): Promise<void> {
    if (!UUID.test(id) || !UUID.test(deliveryId) || !(await this.deps.deliveries.retryNow(id, deliveryId, this.deps.clock())))
      throw new AppError('not_found', 'No such delivery of this webhook.');
  }

  /** Sends a `webhook.test` event to the endpoint, whatever it subscribed to; the delivery's id. */
  async test(actor: Actor, id: string): Promise<string> {
    await this.get(id);
    const at = this.deps.clock();
    const timestamp = at.toISOString();
    const event = {
      id: randomUUID(),
      type: 'webhook.test',
      at: timestamp,
      userId: null,
      actorId: actor.id,
      ip: actor.meta?.ip ?? null,
      userAgent: actor.meta?.userAgent ?? null,
      requestId: actor.meta?.requestId ?? null,
      data: { webhookId: id },
    };
    return this.deps.deliveries.enqueueOne(id, 'webhook.test', { type: 'webhook.test', timestamp, data: { event, user: null } }, at);
  }

  private async checkedUrl(text: string): Promise<string> {
    try {
      return (await this.deps.guard.check(text)).toString();
    } catch (error) {
      if (error instanceof RefusedUrl) throw new AppError('invalid_webhook_url', `The webhook URL is not allowed: ${error.message}.`);
      throw error;
    }
  }
}
