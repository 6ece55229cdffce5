/**
 * bcrypt on dedicated worker threads at the lowest OS priority (nice 19). Each thread runs one
 * synchronous bcrypt call at a time, so `size` threads keep `size` cores busy during a login
 * storm, while the event loop (nice 0) wins the CPU whenever it has a request to answer:
 * /health stays fast and hashing keeps every idle cycle (docs/performance.md). On Linux
 * `setpriority(PRIO_PROCESS, 0)` renices the calling thread only; elsewhere the threads keep the
 * normal priority.
 *
 * Threads start lazily (or all at once with start()), are unref'd while idle so that they never
 * keep a process alive, and are terminated by stop().
 */
import { Worker } from 'node:worker_threads';
import { ConcurrencyLimit } from './concurrency-limit';

export type HashJob = { op: 'hash'; data: string; cost: number } | { op: 'compare'; data: string; hash: string };
// (The threads also understand { op: 'stop' }: end after the call in progress.)
type Reply = { ok: true; value: string | boolean } | { ok: false; message: string };

/** The niceness of the hashing threads: the lowest priority, any CPU the rest leaves idle. */
export const HASHING_NICENESS = 19;

// Plain CommonJS in a string (`eval: true`): the same code runs from the built dist and from the
// TypeScript sources under ts-jest, with no loader. Synchronous bcrypt on this thread: the async
// calls would run on libuv's pool, shared with the main thread and at its priority.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const os = require('node:os');
try { os.setPriority(0, workerData.niceness); } catch {}
const bcrypt = require(workerData.bcryptPath);
parentPort.on('message', (job) => {
  // Asked to end: after the call in progress, never inside it (see HashingPool.stop).
  if (job.op === 'stop') return parentPort.close();
  try {
    const value = job.op === 'hash' ? bcrypt.hashSync(job.data, job.cost) : bcrypt.compareSync(job.data, job.hash);
    parentPort.postMessage({ ok: true, value });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: String(error && error.message ? error.message : error) });
  }
});
`;

/** How long a thread may take to finish the bcrypt call it is in before it is terminated anyway. */
const STOP_GRACE_MS = 10_000;

/**
 * Ends a thread once the call it may be in returns: terminating a thread inside bcrypt's native
 * call can abort the whole process (node-addon-api throws Napi::Error into a terminating thread).
 */
async function end(worker: Worker): Promise<void> {
  if (worker.threadId === -1) return; // already exited
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  // Referenced while it ends: whoever awaits stop() goes on afterwards (an unreferenced thread let the process end first).
  worker.ref();
  worker.postMessage({ op: 'stop' });
  const timer = setTimeout(() => void worker.terminate(), STOP_GRACE_MS);
  timer.unref();
  await exited;
  clearTimeout(timer);
}

interface Thread {
  worker: Worker;
  /** Settles the job in flight on this thread, if any. */
  settle?: (outcome: { value: string | boolean } | { error: Error }) => void;
}

export class HashingStoppedError extends Error {
  constructor() {
    super('password hashing stopped');
    this.name = 'HashingStoppedError';
  }
}

export class HashingPool {
  private readonly limit: ConcurrencyLimit;
  private readonly idle: Thread[] = [];
  private readonly threads = new Set<Thread>();
  /** Bumped by stop(): jobs queued before it fail instead of starting new threads. */
  private generation = 0;

  constructor(readonly size: number) {
    this.limit = new ConcurrencyLimit(size);
  }

  /** Jobs waiting for a free thread. */
  get queued(): number {
    return this.limit.queued;
  }

  /** Starts every thread now (the first logins then pay no start-up). */
  start(): void {
    while (this.threads.size < this.size) this.idle.push(this.spawn());
  }

  /** Runs a job when a thread is free; `signal` aborted by then: CancelledError, nothing spent. */
  run(job: HashJob, signal?: AbortSignal): Promise<string | boolean> {
    const generation = this.generation;
    return this.limit.run(async () => {
      if (generation !== this.generation) throw new HashingStoppedError();
      return this.dispatch(job);
    }, signal);
  }

  /** Ends every thread; jobs in flight or queued fail with HashingStoppedError. Later jobs start threads again. */
  async stop(): Promise<void> {
    this.generation++;
    const threads = [...this.threads];
    this.threads.clear();
    this.idle.length = 0;
    for (const thread of threads) thread.settle?.({ error: new HashingStoppedError() });
    await Promise.all(threads.map((thread) => end(thread.worker)));
  }

  private dispatch(job: HashJob): Promise<string | boolean> {
    // The limit lets at most `size` jobs through, so a thread is idle or may be started.
    const thread = this.idle.pop() ?? this.spawn();
    return new Promise((resolve, reject) => {
      thread.settle = (outcome) => {
        thread.settle = undefined;
        thread.worker.unref();
        if (this.threads.has(thread)) this.idle.push(thread);
        if ('error' in outcome) reject(outcome.error);
        else resolve(outcome.value);
      };
      thread.worker.ref();
      thread.worker.postMessage(job);
    });
  }

  private spawn(): Thread {
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { bcryptPath: require.resolve('bcrypt'), niceness: HASHING_NICENESS } });
    const thread: Thread = { worker };
    worker.on('message', (reply: Reply) =>
      thread.settle?.(reply.ok ? { value: reply.value } : { error: new Error(`password hashing failed: ${reply.message}`) }),
    );
    const discard = (message: string) => {
      // A thread that failed is replaced on the next job; its job in flight fails.
      this.threads.delete(thread);
      const index = this.idle.indexOf(thread);
      if (index >= 0) this.idle.splice(index, 1);
      thread.settle?.({ error: new Error(`password hashing failed: ${message}`) });
    };
    worker.on('error', (error) => discard(error.message));
    worker.on('exit', (code) => discard(`the hashing thread exited with code ${code}`));
    // After the listeners: a 'message' listener refs the worker's port again, and an idle thread must
    // not keep the process alive (a thread started by start() and never used did, past the end of jest).
    worker.unref();
    this.threads.add(thread);
    return thread;
  }
}
