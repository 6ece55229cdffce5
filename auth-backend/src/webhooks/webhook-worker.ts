/**
 * Webhooks' use of the outbox delivery loop (outbox/delivery-loop.ts, shared with mail): claimed
 * deliveries are signed (both secrets during a rotation's overlap), POSTed with no database
 * connection held, and their outcome recorded fenced by the attempt. Up to WEBHOOK_CONCURRENCY at
 * once, WEBHOOK_CONCURRENCY_PER_ENDPOINT per endpoint: a hanging endpoint holds its own slots only.
 *
 * Failure: retried on WEBHOOK_RETRY_SCHEDULE, then `failed`. 410 Gone disables the endpoint at
 * once; an endpoint whose every attempt failed for WEBHOOK_DISABLE_AFTER is disabled too; both
 * write a webhook.disabled audit event.
 */
import type pg from 'pg';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Worker } from '../lifecycle';
import type { Transactions } from '../db/transaction';
import type { AuditLog } from '../audit/audit-log';
import type { WebhookConfig } from '../config/webhooks';
import type { Envelope } from '../crypto/key-encryption';
import { DeliveryLoop, type Verdict } from '../outbox/delivery-loop';
import { WEBHOOK_QUEUED_CHANNEL, type ClaimedDelivery, type WebhookDeliveriesTable } from '../tables/webhook-deliveries';
import type { WebhooksTable } from '../tables/webhooks';
import { signedHeaders } from './webhook-signature';
import { webhookSecretContext } from './webhook-secrets';
import { retryDelayMs } from './retry-schedule';
import type { AttemptResult, WebhookSender } from './webhook-sender';

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

export interface WebhookWorkerDeps {
  deliveries: WebhookDeliveriesTable;
  webhooks: WebhooksTable;
  transaction: Transactions;
  audit: AuditLog;
  sender: WebhookSender;
  secrets: Envelope;
  listenConnection: () => pg.Client;
  config: WebhookConfig;
  clock: Clock;
  logger: Logger;
  /** Metrics: webhook_deliveries_total. */
  onOutcome?: (outcome: DeliveryOutcome) => void;
}

/** A lease well beyond one attempt's time limit. */
const leaseSeconds = (timeoutMs: number) => Math.max(60, Math.ceil((timeoutMs * 3) / 1000));

interface Success {
  delivery: ClaimedDelivery;
  statusCode: number;
  at: Date;
  done: (recorded: boolean) => void;
  fail: (error: unknown) => void;
}

export class WebhookDeliveryWorker implements Worker {
  readonly name = 'webhook-delivery';
  private loop: DeliveryLoop<ClaimedDelivery> | undefined;
  /** Successes waiting for the next flush: those that finish in the same turn are recorded by one statement. */
  private successes: Success[] = [];

  constructor(private readonly deps: WebhookWorkerDeps) {}

  start(): void {
    const { deliveries, config, logger } = this.deps;
    this.loop = new DeliveryLoop<ClaimedDelivery>({
      name: this.name,
      channel: WEBHOOK_QUEUED_CHANNEL,
      listenConnection: this.deps.listenConnection,
      queue: deliveries,
      deliver: (delivery) => this.deliver(delivery),
      keyOf: (delivery) => delivery.webhookId,
      concurrency: config.concurrency,
      perKey: config.perEndpoint,
      leaseSeconds: leaseSeconds(config.timeoutMs),
      pollIntervalMs: config.pollIntervalMs,
      clock: this.deps.clock,
      onError: (error) =>
        logger.warn(
          { event: 'webhook.delivery', outcome: 'error', reason: error instanceof Error ? error.message : String(error) },
          'webhook delivery round failed (database?): trying again at the next poll',
        ),
    });
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
    this.deps.sender.close();
  }

  /** The secrets that sign now: the current one, and the previous one until its overlap ends. */
  private secretsOf(delivery: ClaimedDelivery, now: Date): string[] {
    const context = webhookSecretContext(delivery.webhookId);
    const current = this.deps.secrets.open(delivery.sealedSecret, context).toString('utf8');
    const previous =
      delivery.sealedPreviousSecret && delivery.previousSecretUntil && delivery.previousSecretUntil > now
        ? [this.deps.secrets.open(delivery.sealedPreviousSecret, context).toString('utf8')]
        : [];
    return [current, ...previous];
  }

  private async deliver(delivery: ClaimedDelivery): Promise<Verdict> {
    const { sender, clock } = this.deps;
    const sentAt = clock();
    const result = await sender.send(delivery.url, signedHeaders(delivery.id, sentAt, delivery.body, this.secretsOf(delivery, sentAt)), delivery.body);
    const now = clock();
    if (result.ok) {
      const recorded = await this.recordSuccess(delivery, result.status, now);
      this.log(delivery, recorded, 'debug', { outcome: 'delivered', status: result.status }, 'webhook delivered');
      this.deps.onOutcome?.('delivered');
      return 'next';
    }
    await this.recordFailure(delivery, result, now);
    return 'next';
  }

  private recordSuccess(delivery: ClaimedDelivery, statusCode: number, at: Date): Promise<boolean> {
    return new Promise((done, fail) => {
      if (this.successes.push({ delivery, statusCode, at, done, fail }) === 1) setImmediate(() => void this.flushSuccesses());
    });
  }

  private async flushSuccesses(): Promise<void> {
    const batch = this.successes;
    this.successes = [];
    const { deliveries, webhooks } = this.deps;
    try {
      const webhookIds = [...new Set(batch.map((item) => item.delivery.webhookId))];
      const recorded = await deliveries.markDelivered(batch, [webhooks.successRecorded(webhookIds)]);
      for (const item of batch) item.done(recorded.has(item.delivery.id));
    } catch (error) {
      for (const item of batch) item.fail(error);
    }
  }

  private async recordFailure(delivery: ClaimedDelivery, result: Extract<AttemptResult, { ok: false }>, now: Date): Promise<void> {
    const { deliveries, webhooks, config } = this.deps;
    const gone = result.status === 410;
    const wait = gone ? undefined : retryDelayMs(config.retryScheduleMs, delivery.attempt);
    const fields = { status: result.status, reason: result.reason };
    if (wait === undefined) {
      const recorded = await deliveries.markFailed(delivery, now, result.status, result.reason);
      this.log(delivery, recorded, 'warn', { outcome: 'failed', ...fields }, 'webhook not delivered: no attempt left, recorded as failed');
      this.deps.onOutcome?.('failed');
    } else {
      const next = new Date(now.getTime() + wait);
      const recorded = await deliveries.markRetry(delivery, now, next, result.status, result.reason);
      this.log(delivery, recorded, 'info', { outcome: 'retry', ...fields, nextAttemptAt: next.toISOString() }, 'webhook not delivered: will retry');
      this.deps.onOutcome?.('retry');
    }
    const overdue = await webhooks.failureRecorded(delivery.webhookId, now, config.disableAfterSeconds);
    if (gone) await this.disable(delivery.webhookId, 'gone: the endpoint answered 410 Gone', now);
    else if (overdue) await this.disable(delivery.webhookId, `failing: every attempt failed for ${config.disableAfterSeconds} s`, now);
  }

  private async disable(webhookId: string, reason: string, now: Date): Promise<void> {
    const { transaction, webhooks, audit, logger } = this.deps;
    const disabled = await transaction(async (tx) => {
      if (!(await webhooks.in(tx).disable(webhookId, reason, now))) return false;
      await audit.in(tx).record({ type: 'webhook.disabled', userId: null, data: { webhookId, reason } });
      return true;
    });
    if (disabled) logger.warn({ event: 'webhook.disabled', webhookId, reason }, 'webhook endpoint disabled');
  }

  /** One line per attempt, never the body; `recorded` false: the lease had run out and another worker took it over. */
  private log(delivery: ClaimedDelivery, recorded: boolean, level: 'debug' | 'info' | 'warn', fields: Record<string, unknown>, message: string): void {
    const line = {
      event: 'webhook.delivery',
      deliveryId: delivery.id,
      webhookId: delivery.webhookId,
      type: delivery.eventType,
      attempt: delivery.attempt,
      ...fields,
    };
    if (recorded) this.deps.logger[level](line, message);
    else this.deps.logger.warn({ ...line, recorded: false }, `${message} (outcome not recorded: the lease had run out)`);
  }
}
