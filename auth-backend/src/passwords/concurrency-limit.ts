import { CancelledError } from '../errors';

/**
 * Runs at most `limit` tasks at once; the others wait in arrival order. A waiting task whose
 * signal is aborted never starts: a login whose client has gone spends no bcrypt time.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  /** Tasks waiting for a slot (metrics: the hashing queue depth). */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      if (signal?.aborted) throw new CancelledError();
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
