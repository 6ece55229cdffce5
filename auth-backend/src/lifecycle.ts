/**
 * Long-lived background work of the service (the mail delivery loop, the signing-key refresher...).
 * The entrypoint starts every worker once the server listens and, on shutdown, stops them in reverse
 * order after the server has drained and before the database pool closes.
 */
export interface Worker {
  readonly name: string;
  start(): void | Promise<void>;
  /** Resolves once the worker is idle: no work in flight, no timer left. */
  stop(): Promise<void>;
}

export class Lifecycle {
  private readonly workers: Worker[] = [];
  private started: Worker[] = [];

  add(worker: Worker): void {
    this.workers.push(worker);
  }

  async start(): Promise<void> {
    for (const worker of this.workers) {
      await worker.start();
      this.started.push(worker);
    }
  }

  async stop(): Promise<void> {
    const running = this.started.reverse();
    this.started = [];
    for (const worker of running) await worker.stop();
  }
}
