/**
 * Long-lived parts of the service that need starting and stopping: the hashing threads, the
 * password blocklist, the signing-key refresher, the mail delivery loop. Constructors do no work;
 * start() starts every worker in order, before the server accepts its first request, and stop()
 * stops them in reverse order after the server has drained and before the pool closes, each
 * within a time limit.
 */
export interface Worker {
  readonly name: string;
  start(): void | Promise<void>;
  /** Resolves once the worker is idle: no work in flight, no timer left. */
  stop(): Promise<void>;
}

export interface LifecycleLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

export class Lifecycle {
  private readonly workers: Worker[] = [];
  private started: Worker[] = [];

  constructor(private readonly log?: LifecycleLog) {}

  add(worker: Worker): void {
    this.workers.push(worker);
  }

  async start(): Promise<void> {
    for (const worker of this.workers) {
      if (this.started.includes(worker)) continue;
      await worker.start();
      this.started.push(worker);
    }
  }

  /** Stops the started workers, last first; a worker that takes longer than `timeoutMs` is left behind with a warning. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const running = this.started.reverse();
    this.started = [];
    for (const worker of running) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
      const outcome = await Promise.race([worker.stop().then(() => 'stopped' as const), late]);
      clearTimeout(timer);
      if (outcome === 'late') this.log?.warn({ worker: worker.name, timeoutMs }, 'worker did not stop in time: left behind');
    }
  }
}
