/**
 * The audit log as the use cases see it: record an event in the transaction of the change it
 * records, and let whatever reacts to events (v4: webhooks, security notifications) act with it,
 * so that a rolled-back change leaves no event and sends nothing, and a committed one loses
 * nothing. The table (tables/audit-events.ts) stores; this module fans out.
 *
 *   await audit.in(tx).record({ type: 'password.changed', userId, meta });
 *
 * Unbound, record() runs on the pool: events of attempts that change nothing (a failed login).
 *
 * Two kinds of reaction: a `reaction` is SQL (a fragment of the event's own INSERT statement,
 * reading its row), so reacting costs no round trip and even a statement that writes a change and
 * its event together (the sign-in pipeline's session) carries it; a `subscriber` is code, run
 * after the event on the same transaction, for what SQL cannot say. Prefer reactions on hot paths.
 */
import type { Transaction } from '../db/transaction';
import type { Cte, Fragment } from '../db/statement';
import type { AuditEvent, AuditEventInput, AuditEventType } from '../domain/audit';
import { AUDIT_EVENT_ROW, type AuditEventsTable } from '../tables/audit-events';

/** SQL that reacts to an event: CTEs over the event's row (tables/audit-events.ts AUDIT_EVENT_ROW), written with it. */
export type AuditReaction = (event: AuditEvent) => Fragment | undefined;

/**
 * SQL that reacts to every event alike, reading its row(s) in CTE `source`, with no value of the
 * event bound: it also rides on statements that write events themselves (token reuse, in the
 * refresh statement: rowReactions('reuse_event')).
 */
export type AuditRowReaction = (source: string) => Cte[];

/** Code that reacts to a recorded event, on the transaction that recorded it (undefined: the event stands alone). */
export type AuditSubscriber = (event: AuditEvent, tx: Transaction | undefined) => Promise<void>;

interface Reactors {
  reactions: AuditReaction[];
  rowReactions: AuditRowReaction[];
  /** `types`: the event types it reacts to (undefined: every one). */
  subscribers: Array<{ subscriber: AuditSubscriber; types?: ReadonlySet<AuditEventType> }>;
}

export class AuditLog {
  constructor(
    private readonly events: AuditEventsTable,
    private readonly reactors: Reactors = { reactions: [], rowReactions: [], subscribers: [] },
    private readonly tx?: Transaction,
  ) {}

  /** Adds SQL that reacts to every event recorded from now on (wired once, by the composition root). */
  react(reaction: AuditReaction): void {
    this.reactors.reactions.push(reaction);
  }

  /** Adds SQL that reacts to every event's row, whatever statement writes it (wired once, by the composition root). */
  reactToRows(reaction: AuditRowReaction): void {
    this.reactors.rowReactions.push(reaction);
  }

  /** The row reactions to the events a statement writes into CTE `source` itself (they must RETURN audit_event's columns). */
  rowReactions(source: string): Fragment[] {
    return this.reactors.rowReactions.map((reaction) => () => reaction(source));
  }

  /**
   * Adds code that reacts to the events of `types` (every event when absent) recorded from now on
   * (wired once, by the composition root). Name the types: an event no subscriber wants can still
   * be written together with its change in one statement (writes()).
   */
  subscribe(subscriber: AuditSubscriber, types?: readonly AuditEventType[]): void {
    this.reactors.subscribers.push({ subscriber, types: types && new Set(types) });
  }

  private subscribersOf(type: AuditEventType): AuditSubscriber[] {
    return this.reactors.subscribers.filter((entry) => !entry.types || entry.types.has(type)).map((entry) => entry.subscriber);
  }

  /** The log bound to `tx`: the event and every reaction commit or roll back with it. */
  in(tx: Transaction): AuditLog {
    return new AuditLog(this.events, this.reactors, tx);
  }

  async record(input: AuditEventInput): Promise<AuditEvent> {
    const table = this.tx ? this.events.in(this.tx) : this.events;
    const event = table.prepare(input);
    await table.write(event, this.reactionsTo(event));
    for (const subscriber of this.subscribersOf(event.type)) await subscriber(event, this.tx);
    return event;
  }

  /**
   * The event as a fragment of another table's statement (with its reactions), for a change that
   * writes itself and its event in one statement; undefined when a subscriber must run (the caller
   * then records in a transaction instead).
   */
  writes(input: AuditEventInput): { event: AuditEvent; fragment: Fragment } | undefined {
    if (this.subscribersOf(input.type).length > 0) return undefined;
    const event = this.events.prepare(input);
    const parts = [this.events.inserting(event), ...this.reactionsTo(event)];
    return { event, fragment: (statement) => parts.flatMap((part) => part(statement)) };
  }

  private reactionsTo(event: AuditEvent): Fragment[] {
    const reactions = this.reactors.reactions.map((reaction) => reaction(event)).filter((fragment): fragment is Fragment => fragment !== undefined);
    return [...reactions, ...this.rowReactions(AUDIT_EVENT_ROW)];
  }
}
