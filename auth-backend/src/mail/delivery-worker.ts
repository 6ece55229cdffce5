/**
 * The delivery loop: sends what the outbox holds (tables/mail-outbox.ts), one message at a time.
 * Each message is leased (claimed for a while, no lock or transaction kept), sent with no
 * database connection held during the SMTP exchange, and its outcome recorded afterwards; a
 * process that dies mid-send leaves the message to the next claim once its lease ends (at least
 * once), and no two replicas ever hold the same lease.
 *
 * Woken at once by the outbox's NOTIFY (any replica's committed mail), and polls every
 * MAIL_POLL_INTERVAL with one cheap read in case a notification was missed. Failures: SMTP down
 * or 4xx -> retried with exponential backoff (capped), for as long as it takes; 5xx -> retried
 * until MAIL_MAX_ATTEMPTS, then recorded as failed.
 */
import type pg from 'pg';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Worker } from '../lifecycle';
import { NotificationListener } from '../db/notification-listener';
import { MAIL_QUEUED_CHANNEL, type ClaimedMail, type MailOutboxTable } from '../tables/mail-outbox';
import { classifyFailure } from './smtp-errors';
import type { MailTransport } from './transport';

/** How long a claimed message is kept from other senders. */
export const SEND_LEASE_SECONDS = 300;
/** A send that has not finished by then counts as failed (and is retried): always well inside the lease. */
const SEND_TIMEOUT_MS = (SEND_LEASE_SECONDS * 1000) / 3;

class SendTimeout extends Error {
  readonly code = 'ETIMEDOUT';
  constructor() {
    super(`no answer from the mail server within ${SEND_TIMEOUT_MS / 1000} s`);
  }
}

function withinSendTimeout<T>(sending: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new SendTimeout()), SEND_TIMEOUT_MS)));
  return Promise.race([sending, late]).finally(() => clearTimeout(timer));
}

export interface DeliveryPolicy {
  from: string;
  pollIntervalMs: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Attempts before a permanently refused (5xx) message is given up. */
  maxAttempts: number;
}

export interface DeliveryWorkerDeps {
  outbox: MailOutboxTable;
  /** A connection outside the pool, for LISTEN. */
  listenConnection: () => pg.Client;
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
  private listener: NotificationListener | undefined;

  constructor(private readonly deps: DeliveryWorkerDeps) {}

  start(): void {
    const { transport, logger } = this.deps;
    if (!transport) {
      logger.warn({ event: 'mail.transport', transport: 'none' }, 'SMTP_URL is not set: mail waits in the outbox until SMTP_URL is set');
      return;
    }
    logger.info({ event: 'mail.transport', transport: transport.description }, 'mail delivery started');
    this.stopped = false;
    this.listener = new NotificationListener(this.deps.listenConnection, MAIL_QUEUED_CHANNEL, () => this.wake());
    this.listener.start();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.listener?.stop();
    await this.round;
    this.deps.transport?.close();
  }

  /** Deliver now, not at the next poll (a notification of committed mail). */
  private wake(): void {
    if (this.stopped) return;
    if (this.round) this.wokenDuringRound = true;
    else this.schedule(0);
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
    if (!(await this.deps.outbox.hasDue(this.deps.clock()))) return;
    while (!this.stopped) {
      const outcome = await this.deliverOne();
      if (outcome === 'none' || outcome === 'server-down') return;
    }
  }

  private async deliverOne(): Promise<Outcome> {
    const { outbox, transport, clock } = this.deps;
    if (!transport) return 'none';
    const mail = await outbox.claim(clock(), SEND_LEASE_SECONDS);
    if (!mail) return 'none';
    try {
      const { file } = await withinSendTimeout(
        transport.send({ id: mail.id, from: this.deps.policy.from, to: mail.recipient, subject: mail.subject, text: mail.text }),
      );
      const recorded = await outbox.markSent(mail, clock());
      // The file name holds the outbox id and a time stamp, never the token.
      this.log(mail, recorded, 'info', { outcome: 'sent', ...(file ? { file } : {}) }, file ? `mail written to ${file}` : 'mail sent');
      return 'sent';
    } catch (error) {
      return this.recordFailure(mail, error);
    }
  }

  private async recordFailure(mail: ClaimedMail, error: unknown): Promise<Outcome> {
    const { outbox, clock, policy } = this.deps;
    const failure = classifyFailure(error);
    const now = clock();
    if (failure.permanent && mail.attempt >= policy.maxAttempts) {
      const recorded = await outbox.markFailed(mail, now, failure.reason);
      this.log(mail, recorded, 'error', { outcome: 'failed', reason: failure.reason }, 'mail refused for good: recorded as failed');
      return 'failed';
    }
    const next = new Date(now.getTime() + this.backoffMs(mail.attempt));
    const recorded = await outbox.markRetry(mail, now, next, failure.reason);
    this.log(mail, recorded, 'warn', { outcome: 'retry', reason: failure.reason, nextAttemptAt: next.toISOString() }, 'mail not delivered: will retry');
    return failure.serverDown ? 'server-down' : 'retry';
  }

  /** One line per attempt; `recorded` false means the lease had run out and another sender took the message over. */
  private log(mail: ClaimedMail, recorded: boolean, level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, message: string): void {
    const line = { event: 'mail.delivery', outboxId: mail.id, kind: mail.kind, attempt: mail.attempt, ...fields };
    if (recorded) this.deps.logger[level](line, message);
    else this.deps.logger.warn({ ...line, recorded: false }, `${message} (outcome not recorded: the lease had run out)`);
  }

  private backoffMs(attempt: number): number {
    const { retryBaseDelayMs, retryMaxDelayMs } = this.deps.policy;
    return Math.min(retryMaxDelayMs, retryBaseDelayMs * 2 ** Math.min(attempt - 1, 30));
  }
}
