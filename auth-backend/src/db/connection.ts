import type pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';

/**
 * pg connection fields from a connection string. Discrete fields rather than
 * `connectionString`, because pg lets the string override fields such as `database`.
 */
export function connectionConfig(databaseUrl: string): pg.ClientConfig {
  return parseIntoClientConfig(databaseUrl) as pg.ClientConfig;
}
