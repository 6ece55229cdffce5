/**
 * The audit log as the use cases see it: record an event in the transaction of the change it
 * records, and let whoever reacts to events (v4: webhooks, security notifications) act in that
 * same transaction, so that a rolled-back change leaves no event and sends nothing, and a
 * committed one loses nothing. The table (tables/audit-events.ts) stores; this module fans out.
 *
 *   await audit.in(tx).record({ type: 'password.changed', userId, meta });
 *
 * Unbound, record() runs on the pool: events of attempts that change nothing (a failed login).
 */
import type { Transaction } from '../db/transaction';
import type { AuditEvent, AuditEventInput } from '../domain/audit';
import type { AuditEventsTable } from '../tables/audit-events';

/** Reacts to a recorded event, on the transaction that recorded it (undefined: the event stands alone). */
export type AuditSubscriber = (event: AuditEvent, tx: Transaction | undefined) => Promise<void>;

export class AuditLog {
  constructor(
    private readonly events: AuditEventsTable,
    private readonly subscribers: AuditSubscriber[] = [],
    private readonly tx?: Transaction,
  ) {}

  /** Adds a reaction to every event recorded from now on (wired once, by the composition root). */
  subscribe(subscriber: AuditSubscriber): void {
    this.subscribers.push(subscriber);
  }

  /** The log bound to `tx`: the event and every subscriber's work commit or roll back with it. */
  in(tx: Transaction): AuditLog {
    return new AuditLog(this.events, this.subscribers, tx);
  }

  async record(input: AuditEventInput): Promise<AuditEvent> {
    const event = await (this.tx ? this.events.in(this.tx) : this.events).record(input);
    for (const subscriber of this.subscribers) await subscriber(event, this.tx);
    return event;
  }
}
