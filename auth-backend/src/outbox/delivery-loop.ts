/**
 * The one delivery design of the service's outboxes (mail_outbox, webhook_delivery): what a queue
 * holds is leased (claimed for a while by moving its next attempt a lease ahead and counting the
 * attempt; no lock or transaction kept), delivered with no database connection held, and its
 * outcome recorded afterwards, fenced by the attempt number (an outcome whose lease ran out and
 * was taken over changes nothing). A process that dies mid-delivery leaves the item to the next
 * claim once its lease ends: at least once, and no two replicas ever hold the same lease.
 *
 * Woken at once by the queue's NOTIFY (sent at commit by any replica), and polls every
 * `pollIntervalMs` with one cheap read in case a notification was missed. Up to `concurrency`
 * deliveries run at once, at most `perKey` of one key (a webhook endpoint): a slow far end holds
 * its own slots only, never another's. What a delivery means (SMTP, HTTP), how it is retried and
 * recorded, is the caller's `deliver`; this loop only decides when and how many.
 */
import type pg from 'pg';
import type { Clock } from '../clock';
import type { Worker } from '../lifecycle';
import { NotificationListener } from '../db/notification-listener';

/** How much a claim may take: `total` items, at most `perKey` of a key minus those `inFlight`. */
export interface Room {
  total: number;
  perKey: number;
  inFlight: ReadonlyMap<string, number>;
}

export interface DeliveryQueue<T> {
  /** Whether anything is due: one cheap indexed read, so an idle poll claims nothing. */
  hasDue(now: Date): Promise<boolean>;
  /** Leases due items for `leaseSeconds` (oldest first, within `room`) and counts their attempt. */
  claim(now: Date, leaseSeconds: number, room: Room): Promise<T[]>;
}

/** After a delivery: go on, or stop claiming until the next poll (the far end is down for everyone). */
export type Verdict = 'next' | 'pause';

export interface DeliveryLoopOptions<T> {
  name: string;
  /** The NOTIFY channel the queue's enqueue statement signals. */
  channel: string;
  /** A connection outside the pool, for LISTEN. */
  listenConnection: () => pg.Client;
  queue: DeliveryQueue<T>;
  /** Delivers one claimed item and records its outcome; never throws for the far end's failures. */
  deliver: (item: T) => Promise<Verdict>;
  /** The key whose deliveries share `perKey` (undefined: none). */
  keyOf?: (item: T) => string;
  concurrency: number;
  perKey: number;
  leaseSeconds: number;
  pollIntervalMs: number;
  clock: Clock;
  /** A round or a delivery failed on the database: logged, and tried again at the next poll. */
  onError: (error: unknown) => void;
}

export class DeliveryLoop<T> implements Worker {
  readonly name: string;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private wokenDuringRound = false;
  private listener: NotificationListener | undefined;
  private running = 0;
  private readonly inFlight = new Map<string, number>();
  /** Resolves the round's wait: a delivery finished, work was notified, or the loop stops. */
  private changed: (() => void) | undefined;
  /** A change that came while nobody waited (during a claim): the next wait returns at once. */
  private changedUnseen = false;

  constructor(private readonly options: DeliveryLoopOptions<T>) {
    this.name = options.name;
  }

  start(): void {
    this.stopped = false;
    this.listener = new NotificationListener(this.options.listenConnection, this.options.channel, () => this.wake());
    this.listener.start();
    this.schedule(0);
  }

  /** Stops claiming, and resolves once every delivery in flight has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.listener?.stop();
    this.poke();
    await this.round;
  }

  /** Deliver now, not at the next poll (a notification of committed work). */
  wake(): void {
    if (this.stopped) return;
    if (this.round) {
      this.wokenDuringRound = true;
      this.poke();
    } else this.schedule(0);
  }

  private poke(): void {
    const changed = this.changed;
    this.changed = undefined;
    if (changed) changed();
    else this.changedUnseen = true;
  }

  private waitForChange(ms: number): Promise<void> {
    if (this.changedUnseen) {
      this.changedUnseen = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.poke(), ms);
      this.changed = () => {
        clearTimeout(timer);
        this.changedUnseen = false;
        resolve();
      };
    });
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
      .catch((error: unknown) => this.options.onError(error))
      .finally(async () => {
        while (this.running > 0) await this.waitForChange(1000);
        this.round = undefined;
        if (!this.stopped) this.schedule(this.wokenDuringRound ? 0 : this.options.pollIntervalMs);
      });
  }

  private async deliverDue(): Promise<void> {
    const { queue, clock, concurrency, perKey, leaseSeconds, pollIntervalMs } = this.options;
    if (!(await queue.hasDue(clock()))) return;
    let paused = false;
    const pause = () => (paused = true);
    while (!this.stopped && !paused) {
      const room = concurrency - this.running;
      if (room > 0) {
        this.wokenDuringRound = false;
        const items = await queue.claim(clock(), leaseSeconds, { total: room, perKey, inFlight: this.inFlight });
        for (const item of items) this.launch(item, pause);
        if (items.length === room) continue;
        if (this.running === 0) return;
      }
      await this.waitForChange(pollIntervalMs);
    }
  }

  private launch(item: T, pause: () => void): void {
    const key = this.options.keyOf?.(item);
    this.running += 1;
    if (key !== undefined) this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    void this.options
      .deliver(item)
      .then((verdict) => verdict === 'pause' && pause())
      .catch((error: unknown) => this.options.onError(error))
      .finally(() => {
        this.running -= 1;
        if (key !== undefined) {
          const left = (this.inFlight.get(key) ?? 1) - 1;
          if (left > 0) this.inFlight.set(key, left);
          else this.inFlight.delete(key);
        }
        this.poke();
      });
  }
}

/** Rejects `work` with `timeout()` when it has not settled within `ms` (the work itself is left to end). */
export function within<T>(work: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(timeout()), ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
