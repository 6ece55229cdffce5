import { createTestDatabase, type TestDatabase } from './test-database';
import { makeAppRoot } from './app-root';
import { spawnService, type ServiceProcess } from './service-process';
import { TEST_JWT_SECRET, TEST_KEY_ENCRYPTION_KEY, TEST_PEPPER } from './test-app';

export interface RunningService {
  url: string;
  port: number;
  process: ServiceProcess;
  database: TestDatabase;
  stop(): Promise<void>;
}

/** The built service in production mode on its own migrated database, listening on a random loopback port. */
export async function startBuiltService(env: Record<string, string> = {}): Promise<RunningService> {
  const database = await createTestDatabase({ migrated: true });
  const root = makeAppRoot({ migrations: 'project' });
  const service = spawnService({
    DATABASE_URL: database.url,
    APP_ROOT: root.dir,
    NODE_ENV: 'production',
    JWT_SECRET: TEST_JWT_SECRET,
    PASSWORD_PEPPER: TEST_PEPPER,
    KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
    BCRYPT_COST: '10',
    THROTTLE_IP_MAX: '100000',
    BACKUP_BEFORE_MIGRATE: 'false',
    ...env,
  });
  const port = await service.waitForPort(60_000);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    process: service,
    database,
    async stop() {
      await service.stop();
      root.remove();
      await database.drop();
    },
  };
}

/**
 * A fingerprint of every application table (throttling counters and passkey challenges excepted): equal before and after
 * means the requests in between changed nothing. Tables added later are covered automatically.
 */
export async function dataFingerprint(database: TestDatabase): Promise<Record<string, string>> {
  const tables = await database.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
        AND table_name NOT IN ('_prisma_migrations', 'rate_limit', 'login_failure', 'passkey_challenge')
      ORDER BY table_name`,
  );
  // Passkey challenges are issued to whoever asks for sign-in options (no body, no credential), by
  // design like the throttle counters: they change no account and expire in 5 minutes.
  const fingerprint: Record<string, string> = {};
  // Like the throttle counters above, the audit log records refused login attempts by design
  // (user.login_failed); every other event is a change and counts.
  const where = (name: string) => (name === 'audit_event' ? ` WHERE t.type <> 'user.login_failed'` : '');
  for (const { name } of tables) {
    const [row] = await database.query<{ digest: string | null; count: string }>(
      `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest, count(*) AS count FROM "${name}" t${where(name)}`,
    );
    fingerprint[name] = `${row!.count}:${row!.digest ?? ''}`;
  }
  return fingerprint;
}
