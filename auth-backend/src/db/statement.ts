/**
 * One parameterised statement built from fragments that several table modules contribute (each
 * module still writes only its own table): a use case whose writes must land together, on a hot
 * path, sends one statement instead of a transaction of several (one round trip, atomic by itself).
 * A fragment is a named CTE body; `bind` turns a value into its placeholder.
 * Sent alone, such a statement commits by itself: during a failover the pool runs it again only when it
 * provably never ran (db/retry-rule.ts, `commit`), never when its connection died after it was sent.
 */
export class Statement {
  readonly values: unknown[] = [];

  bind(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** A data-modifying CTE body (INSERT/UPDATE/DELETE ... [RETURNING]) and its name in the WITH list. */
export interface Cte {
  name: string;
  body: string;
}

/** Contributes CTEs to a statement: what a table module hands to another's composed statement. */
export type Fragment = (statement: Statement) => Cte[];

/** `WITH a AS (...), b AS (...) <final>`: the CTEs of every fragment, in order. */
export function withFragments(statement: Statement, fragments: readonly Fragment[], head: Cte[], final: string): string {
  const ctes = [...head, ...fragments.flatMap((fragment) => fragment(statement))];
  return `WITH ${ctes.map((cte) => `${cte.name} AS (${cte.body})`).join(',\n')}\n${final}`;
}

/** CTE `name` with a row only when every one of `ctes` has one: a gate made of several (the parts of a sign-in that must all have happened). */
export const allOf =
  (name: string, ctes: readonly string[]): Fragment =>
  () => [{ name, body: `SELECT 1 FROM ${ctes.join(' CROSS JOIN ')}` }];
