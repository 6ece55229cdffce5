/** The statements the service sends to PostgreSQL while `send` runs, by text (a spy on the pool, removed after). */
import type { Pool } from 'pg';

export async function statementsSent(pool: Pool, send: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  const spy = jest.spyOn(pool, 'query').mockImplementation(((...args: unknown[]) => {
    const [statement] = args as [string | { text: string }];
    sent.push(typeof statement === 'string' ? statement : statement.text);
    return query(...args);
  }) as never);
  try {
    await send();
  } finally {
    spy.mockRestore();
  }
  return sent;
}
