import { Writable } from 'node:stream';
import type { Express } from 'express';
import { createService, type Service } from '../../src/app';
import { loadConfig, type Config } from '../../src/config/config';
import { createDatabase, type Database } from '../../src/db/database';
import { createLogger } from '../../src/logger';
import type { Clock } from '../../src/clock';
import { createTestDatabase, type TestDatabase } from './test-database';
import { apiClient, bodyOf, type TokenBody } from './api-client';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-bytes-long!';
export const TEST_PEPPER = 'test-pepper-that-is-at-least-32-bytes-long!!';
/** For the tests that run in production mode, where KEY_ENCRYPTION_KEY is required (v3). */
export const TEST_KEY_ENCRYPTION_KEY = 'test-key-encryption-key-of-at-least-32-bytes!';

export interface TestApp {
  app: Express;
  /** The services and workers behind the app (started, as the entrypoint starts them, unless `start: false`). */
  service: Service;
  config: Config;
  db: Database;
  database: TestDatabase;
  /** Every log line written so far, raw. */
  logText(): string;
  logs(): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * The real app on its own migrated database (or on `database`, which close() then leaves alone:
 * several configurations of one deployment, one after the other), logging into memory.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  options: { clock?: Clock; start?: boolean; database?: TestDatabase } = {},
): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase({ migrated: true }));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    JWT_SECRET: TEST_JWT_SECRET,
    PASSWORD_PEPPER: TEST_PEPPER,
    BCRYPT_COST: '10',
    THROTTLE_IP_MAX: '10000',
    LOG_LEVEL: 'debug',
    // Off unless a test asks for it: parallel test apps would compete for the default port.
    METRICS_PORT: '',
    ...env,
  });
  let text = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const logger = createLogger({ level: config.log.level, pretty: false, destination: sink });
  const db = createDatabase(config.databaseUrl);
  const service = createService({ config, logger, db, clock: options.clock });
  if (options.start !== false) await service.lifecycle.start();
  return {
    app: service.app,
    service,
    config,
    db,
    database,
    logText: () => text,
    logs: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    async close() {
      await service.lifecycle.stop();
      await db.close();
      if (!options.database) await database.drop();
    },
  };
}

let counter = 0;
/** A unique, valid email per call. */
export const uniqueEmail = (label = 'user') => `${label}.${process.pid}.${Date.now()}.${counter++}@example.com`;

export const STRONG_PASSWORD = 'a perfectly good passphrase';

export async function registerUser(app: Express, overrides: { email?: string; password?: string; name?: string } = {}) {
  const body = {
    email: overrides.email ?? uniqueEmail(),
    password: overrides.password ?? STRONG_PASSWORD,
    ...(overrides.name ? { name: overrides.name } : {}),
  };
  const response = await apiClient(app).register(body).expect(201);
  return { ...body, ...bodyOf<TokenBody>(response) };
}
