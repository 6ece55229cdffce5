/**
 * Webhooks, composed: the tables' reaction to every audit event (deliveries queued by the event's
 * own statement), the administrators' service, its endpoints and the delivery worker. Called once
 * by the composition root.
 */
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Database } from '../db/database';
import type { AuditLog } from '../audit/audit-log';
import type { Cursors } from '../admin/cursor';
import type { WebhookConfig } from '../config/webhooks';
import type { KeyEncryptionKeys } from '../crypto/key-encryption';
import type { AnyEndpoint } from '../http/endpoint';
import type { Authenticated } from '../domain/user';
import type { WebhooksTable } from '../tables/webhooks';
import type { WebhookDeliveriesTable } from '../tables/webhook-deliveries';
import { UrlGuard } from './url-guard';
import { WebhookSender } from './webhook-sender';
import { webhookSecretEnvelope } from './webhook-secrets';
import { WebhookService } from './webhook-service';
import { WebhookDeliveryWorker, type DeliveryOutcome } from './webhook-worker';
import { webhookEndpoints } from './webhook-endpoints';

export interface WebhooksDeps {
  tables: { webhooks: WebhooksTable; webhookDeliveries: WebhookDeliveriesTable };
  config: WebhookConfig;
  keys: KeyEncryptionKeys;
  db: Database;
  audit: AuditLog;
  cursors: Cursors;
  clock: Clock;
  logger: Logger;
  onOutcome?: (outcome: DeliveryOutcome) => void;
}

export interface Webhooks {
  /** What the admin API (and the admin console) calls. */
  service: WebhookService;
  worker: WebhookDeliveryWorker;
  endpoints(requireAdmin: (auth: Authenticated) => Promise<void>): AnyEndpoint[];
}

export function composeWebhooks({ tables, config, keys, db, audit, cursors, clock, logger, onOutcome }: WebhooksDeps): Webhooks {
  const { webhooks, webhookDeliveries: deliveries } = tables;
  // Every event, whatever writes it: queued for the endpoints that want it, by the event's own statement.
  audit.reactToRows((source) => deliveries.enqueueFor(source));
  const guard = new UrlGuard(config.allowInsecure);
  const secrets = webhookSecretEnvelope(keys);
  const service = new WebhookService({ transaction: db.transaction, webhooks, deliveries, audit, secrets, guard, cursors, clock });
  const worker = new WebhookDeliveryWorker({
    deliveries,
    webhooks,
    transaction: db.transaction,
    audit,
    sender: new WebhookSender(guard, config.timeoutMs),
    secrets,
    listenConnection: db.dedicatedClient,
    config,
    clock,
    logger,
    onOutcome,
  });
  return { service, worker, endpoints: (requireAdmin) => webhookEndpoints(service, requireAdmin) };
}
