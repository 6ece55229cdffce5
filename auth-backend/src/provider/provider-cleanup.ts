/**
 * Deletes the provider's state that no longer counts (expired rows, bindings of sessions that are
 * over), every few minutes, in small batches. Rows past their expiry are already ignored by every
 * read (tables/provider-state.ts), so this only keeps the table small; any replica may run it.
 */
import type { Logger } from '../logger';
import type { Worker } from '../lifecycle';
import type { ProviderStateTable } from '../tables/provider-state';

export interface CleanupPolicy {
  intervalSeconds: number;
  batch: number;
}

export class ProviderCleanup implements Worker {
  readonly name = 'openid-provider-cleanup';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly state: ProviderStateTable,
    private readonly policy: CleanupPolicy,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.policy.intervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass: batches until a batch comes back short. */
  runOnce(): Promise<void> {
    this.running ??= (async () => {
      let removed = 0;
      for (;;) {
        const count = await this.state.deleteExpired(this.policy.batch, 60);
        removed += count;
        if (count < this.policy.batch) break;
      }
      if (removed > 0) this.logger.info({ removed }, 'openid provider: expired state removed');
    })()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'openid provider: cleanup failed, retrying at the next interval'))
      .finally(() => (this.running = undefined));
    return this.running;
  }
}
