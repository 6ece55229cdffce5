import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';

/**
 * pg connection fields from a connection string. Discrete fields rather than
 * `connectionString`, because pg lets the string override fields such as `database`.
 */
export function connectionConfig(databaseUrl: string): pg.ClientConfig {
  return parseIntoClientConfig(databaseUrl) as pg.ClientConfig;
}

/** Runs `work` on a dedicated connection (outside any pool) and always closes it. */
export async function withClient<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(connectionConfig(databaseUrl));
  // A server that drops the connection between two statements: the next one fails, the process lives.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
