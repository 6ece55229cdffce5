/**
 * Mail's use of the outbox delivery loop (outbox/delivery-loop.ts, shared with webhooks): what
 * the outbox holds (tables/mail-outbox.ts) is sent one message at a time, leased, with no
 * database connection held during the SMTP exchange, its outcome recorded afterwards (fenced by
 * the attempt number).
 *
 * Failures: SMTP down or 4xx -> retried with exponential backoff (capped), for as long as it
 * takes (a server that is down pauses the loop until the next poll); 5xx -> retried until
 * MAIL_MAX_ATTEMPTS, then recorded as failed.
 */
import type pg from 'pg';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Worker } from '../lifecycle';
import { DeliveryLoop, within, type Verdict } from '../outbox/delivery-loop';
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
  private loop: DeliveryLoop<ClaimedMail> | undefined;

  constructor(private readonly deps: DeliveryWorkerDeps) {}

  start(): void {
    const { transport, logger, outbox } = this.deps;
    if (!transport) {
      logger.warn({ event: 'mail.transport', transport: 'none' }, 'SMTP_URL is not set: mail waits in the outbox until SMTP_URL is set');
      return;
    }
    logger.info({ event: 'mail.transport', transport: transport.description }, 'mail delivery started');
    this.loop = new DeliveryLoop<ClaimedMail>({
      name: this.name,
      channel: MAIL_QUEUED_CHANNEL,
      listenConnection: this.deps.listenConnection,
      queue: {
        hasDue: (now) => outbox.hasDue(now),
        claim: async (now, leaseSeconds) => {
          const mail = await outbox.claim(now, leaseSeconds);
          return mail ? [mail] : [];
        },
      },
      deliver: async (mail): Promise<Verdict> => ((await this.deliverOne(mail)) === 'server-down' ? 'pause' : 'next'),
      // One message at a time: one SMTP server, whose outages pause everything anyway.
      concurrency: 1,
      perKey: 1,
      leaseSeconds: SEND_LEASE_SECONDS,
      pollIntervalMs: this.deps.policy.pollIntervalMs,
      clock: this.deps.clock,
      onError: (error) =>
        logger.warn(
          { event: 'mail.delivery', outcome: 'error', reason: error instanceof Error ? error.message : String(error) },
          'mail delivery round failed (database?): trying again at the next poll',
        ),
    });
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
    this.deps.transport?.close();
  }

  private async deliverOne(mail: ClaimedMail): Promise<Outcome> {
    const { outbox, transport, clock } = this.deps;
    if (!transport) return 'none';
    try {
      const { file } = await within(
        transport.send({ id: mail.id, from: this.deps.policy.from, to: mail.recipient, subject: mail.subject, text: mail.text }),
        SEND_TIMEOUT_MS,
        () => new SendTimeout(),
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
