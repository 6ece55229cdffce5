/**
 * LISTEN on one channel over a connection of its own, reconnecting after the database goes away.
 * PostgreSQL delivers a NOTIFY when its transaction commits, and only then: a listener is woken
 * by committed work alone. Notifications sent while the connection is down are lost, so a
 * listener is a shortcut, never the only way work is found (its owner still polls), or its owner
 * must know when it is not listening (`onListening`) and not rely on it meanwhile (a cache).
 */
import type pg from 'pg';

const RECONNECT_DELAY_MS = 2000;

export class NotificationListener {
  private client: pg.Client | undefined;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly connect: () => pg.Client,
    private readonly channel: string,
    /** A notification's payload; undefined after (re)connecting: what was sent meanwhile is lost. */
    private readonly onNotification: (payload?: string) => void,
    /** Whether notifications arrive now: true once LISTEN answered, false as soon as the connection is lost or closed. */
    private readonly onListening: (listening: boolean) => void = () => undefined,
  ) {}

  start(): void {
    this.stopped = false;
    void this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.onListening(false);
    await client?.end().catch(() => undefined);
  }

  private async open(): Promise<void> {
    const client = this.connect();
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.onListening(false);
      void client.end().catch(() => undefined);
      this.retry();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.onNotification(message.payload || undefined);
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
      // Work committed while we were not listening is found by the owner's next look.
      if (!this.stopped && this.client === client) {
        this.onListening(true);
        this.onNotification();
      }
    } catch {
      lost();
    }
    if (this.stopped) await client.end().catch(() => undefined);
  }

  private retry(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.open(), RECONNECT_DELAY_MS);
    this.timer.unref();
  }
}
