/**
 * AUDIT_RETENTION: deletes audit events older than the retention, at start and then every
 * AUDIT_PRUNE_INTERVAL, in batches (a large backlog never holds one long transaction).
 */
import type { Clock } from '../clock';
import type { Worker } from '../lifecycle';
import type { Logger } from '../logger';
import type { AuditEventsTable } from '../tables/audit-events';

export class AuditRetention implements Worker {
  readonly name = 'audit-retention';
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly audit: AuditEventsTable,
    private readonly policy: { retention: number; pruneInterval: number },
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.policy.pruneInterval * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /** Prunes now; resolves with how many events went. */
  async prune(): Promise<number> {
    const before = new Date(this.clock().getTime() - this.policy.retention * 1000);
    let total = 0;
    for (;;) {
      const deleted = await this.audit.pruneOlderThan(before);
      total += deleted;
      if (deleted === 0) break;
    }
    if (total > 0) this.logger.info({ deleted: total, before }, 'audit log: old events pruned');
    return total;
  }

  private tick(): void {
    this.inFlight ??= this.prune()
      .then(() => undefined)
      .catch((error: unknown) => this.logger.error({ err: error }, 'audit log: pruning failed'))
      .finally(() => (this.inFlight = undefined));
  }
}
