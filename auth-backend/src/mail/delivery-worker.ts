/**
 * The delivery loop: sends what the outbox holds, one message per transaction. The row stays
 * locked (FOR UPDATE SKIP LOCKED) while its SMTP exchange runs and until its outcome is
 * committed, so two replicas never send the same message; a process that dies mid-send drops its
 * connection, PostgreSQL releases the lock, and the message is sent again later (at least once).
 *
 * Polls every MAIL_POLL_INTERVAL with one cheap read, and is woken at once by the process that
 * queued mail. Failures: SMTP down or 4xx -> retried with exponential backoff (capped), for as
 * long as it takes; 5xx -> retried until MAIL_MAX_ATTEMPTS, then recorded as failed.
 */
import type pg from 'pg';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Worker } from '../lifecycle';
import { withTransaction } from '../db/transaction';
import { claimDueMail, hasDueMail, markFailed, markRetry, markSent } from './outbox';
import { classifyFailure } from './smtp-errors';
import type { MailTransport } from './transport';

export interface DeliveryPolicy {
  from: string;
  pollIntervalMs: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Attempts before a permanently refused (5xx) message is given up. */
  maxAttempts: number;
}

export interface DeliveryWorkerDeps {
  pool: pg.Pool;
  transport: MailTransport | undefined;
  logger: Logger;
  clock: Clock;
  policy: DeliveryPolicy;
}

type Outcome = 'none' | 'sent' | 'retry' | 'failed' | 'server-down';

export class MailDeliveryWorker implements Worker {
  readonly name = 'mail-delivery';
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private wokenDuringRound = false;

  constructor(private readonly deps: DeliveryWorkerDeps) {}

  start(): void {
    const { transport, logger } = this.deps;
    if (!transport) {
      logger.warn({ event: 'mail.transport', transport: 'none' }, 'SMTP_URL is not set: mail waits in the outbox until SMTP_URL is set');
      return;
    }
    logger.info({ event: 'mail.transport', transport: transport.description }, 'mail delivery started');
    this.stopped = false;
    this.schedule(0);
  }

  /** Called once a transaction that queued mail has committed: deliver now, not at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.round) this.wokenDuringRound = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.round;
    this.deps.transport?.close();
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.runRound(), delayMs);
  }

  private runRound(): void {
    this.timer = undefined;
    if (this.stopped) return;
    this.wokenDuringRound = false;
    this.round = this.deliverDue()
      .catch((error: unknown) => {
        this.deps.logger.warn(
          { event: 'mail.delivery', outcome: 'error', reason: error instanceof Error ? error.message : String(error) },
          'mail delivery round failed (database?): trying again at the next poll',
        );
      })
      .finally(() => {
        this.round = undefined;
        if (!this.stopped) this.schedule(this.wokenDuringRound ? 0 : this.deps.policy.pollIntervalMs);
      });
  }

  private async deliverDue(): Promise<void> {
    if (!(await hasDueMail(this.deps.pool, this.deps.clock()))) return;
    while (!this.stopped) {
      const outcome = await this.deliverOne();
      if (outcome === 'none' || outcome === 'server-down') return;
    }
  }

  private deliverOne(): Promise<Outcome> {
    const { pool, transport, logger, clock, policy } = this.deps;
    return withTransaction(pool, async (client) => {
      const mail = await claimDueMail(client, clock());
      if (!mail || !transport) return 'none';
      const attempt = mail.attempts + 1;
      const line = { event: 'mail.delivery', outboxId: mail.id, kind: mail.kind, attempt };
      let file: string | undefined;
      try {
        ({ file } = await transport.send({ id: mail.id, from: policy.from, to: mail.recipient, subject: mail.subject, text: mail.text }));
      } catch (error) {
        const failure = classifyFailure(error);
        const now = clock();
        if (failure.permanent && attempt >= policy.maxAttempts) {
          await markFailed(client, mail.id, attempt, now, failure.reason);
          logger.error({ ...line, outcome: 'failed', reason: failure.reason }, 'mail refused for good: recorded as failed');
          return 'failed';
        }
        const next = new Date(now.getTime() + this.backoffMs(attempt));
        await markRetry(client, mail.id, attempt, now, next, failure.reason);
        logger.warn({ ...line, outcome: 'retry', reason: failure.reason, nextAttemptAt: next.toISOString() }, 'mail not delivered: will retry');
        return failure.serverDown ? 'server-down' : 'retry';
      }
      await markSent(client, mail.id, attempt, clock());
      // The file name holds the outbox id and a time stamp, never the token.
      logger.info({ ...line, outcome: 'sent', ...(file ? { file } : {}) }, file ? `mail written to ${file}` : 'mail sent');
      return 'sent';
    });
  }

  private backoffMs(attempt: number): number {
    const { retryBaseDelayMs, retryMaxDelayMs } = this.deps.policy;
    return Math.min(retryMaxDelayMs, retryBaseDelayMs * 2 ** Math.min(attempt - 1, 30));
  }
}
