/**
 * The registered clients, kept in memory per replica so that a token request does not read
 * oauth_client each time (every client_credentials request and every code exchange authenticates
 * its client; the read was about a third of the token endpoint's cost).
 *
 * Coherence across replicas: every statement that changes a client NOTIFYs
 * `OAUTH_CLIENT_CHANGED_CHANNEL` with its id (tables/oauth-clients.ts), delivered by PostgreSQL at
 * commit to every replica's listener, which drops that client; the replica that made the change
 * drops it itself before it answers (`forget`). So a rotated secret, an edit or a deletion holds
 * on every replica within the notification's delivery time (milliseconds). The cache is used only
 * while its listener is listening: before LISTEN answers, and from the moment its connection is
 * lost until it listens again (when it starts empty), every lookup reads the table. A connection
 * that broke without the replica noticing is bounded by `CLIENT_CACHE_TTL_MS`: no entry is older.
 * Unknown client ids are not kept (each such request still reads the table).
 */
import type pg from 'pg';
import type { Clock } from '../clock';
import type { Worker } from '../lifecycle';
import { NotificationListener } from '../db/notification-listener';
import { OAUTH_CLIENT_CHANGED_CHANNEL } from '../tables/oauth-clients';

/** The oldest an entry may be, whatever the notifications said. */
export const CLIENT_CACHE_TTL_MS = 5_000;

export interface ClientCacheDeps {
  /** A connection of its own, outside the pool, for LISTEN. */
  listenConnection: () => pg.Client;
  clock: Clock;
}

export class ClientCache<T> implements Worker {
  readonly name = 'oauth-client-cache';
  private readonly entries = new Map<string, { value: T; at: number }>();
  private listener: NotificationListener | undefined;
  private listening = false;
  /** Bumped by every invalidation: a lookup that saw it change while it read the table keeps nothing. */
  private generation = 0;

  constructor(private readonly deps: ClientCacheDeps) {}

  start(): void {
    this.listener = new NotificationListener(
      this.deps.listenConnection,
      OAUTH_CLIENT_CHANGED_CHANNEL,
      (clientId) => this.forget(clientId),
      (listening) => {
        this.listening = listening;
        this.forget();
      },
    );
    this.listener.start();
  }

  async stop(): Promise<void> {
    await this.listener?.stop();
    this.listener = undefined;
  }

  /** The client `id` as `load` reads it, or as it was read less than CLIENT_CACHE_TTL_MS ago and not changed since. */
  async find(id: string, load: (id: string) => Promise<T | undefined>): Promise<T | undefined> {
    const now = this.deps.clock().getTime();
    const entry = this.entries.get(id);
    if (entry && this.listening && now - entry.at < CLIENT_CACHE_TTL_MS) return entry.value;
    const generation = this.generation;
    const value = await load(id);
    if (value !== undefined && this.listening && generation === this.generation) this.entries.set(id, { value, at: now });
    else this.entries.delete(id);
    return value;
  }

  /** Drops client `id` (every client when no id is given). */
  forget(id?: string): void {
    this.generation++;
    if (id === undefined) this.entries.clear();
    else this.entries.delete(id);
  }
}
