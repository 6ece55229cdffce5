/**
 * What every table module is: one class that owns every statement on its table, running them on
 * the pool, or, bound with in(tx), on one transaction's client. Binding is the one way a use case
 * puts statements of several tables into one transaction, the same for every table and method:
 *
 *   await transaction(async (tx) => {
 *     await users.in(tx).replacePasswordHash(change);
 *     await sessions.in(tx).revokeAllOfUser(userId, 'password-change', keep);
 *   });
 *
 * No method takes a transaction or a pool as a parameter.
 */
import type { Queryable, Transaction } from '../db/transaction';

export abstract class Table {
  /** Set on a bound copy (in(tx)) only. */
  private readonly boundTo: Transaction | undefined;

  constructor(protected readonly db: Queryable) {}

  /** This table with its statements on `tx`, one transaction's client (cheap: a prototype-linked copy). */
  in(tx: Transaction): this {
    return Object.create(this, { db: { value: tx }, boundTo: { value: tx } }) as this;
  }

  /** Whether this copy is bound to a transaction. */
  protected get inTransaction(): boolean {
    return this.boundTo !== undefined;
  }

  /**
   * The transaction of a statement that means something only inside one (a row lock held until
   * the use case commits); calling such a method on the unbound table is a programming error.
   */
  protected get tx(): Transaction {
    if (!this.boundTo) throw new Error(`${this.constructor.name}: this statement needs a transaction (table.in(tx))`);
    return this.boundTo;
  }
}
