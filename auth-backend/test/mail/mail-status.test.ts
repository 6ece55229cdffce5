import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const script = path.resolve(__dirname, '../../dist/mail/mail-status.js');

describe('npm run mail:status', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
  });
  afterAll(() => db.drop());

  it('prints counts per status, what is being retried and what failed, never a body', async () => {
    const insert = `INSERT INTO mail_outbox (id, kind, recipient, subject, "textBody", status, attempts, "lastError", "lastAttemptAt")
                    VALUES (gen_random_uuid(), $1, 'a@example.com', 's', $2, $3, $4, $5, now())`;
    await db.query(insert, ['reset-password', 'secret-token-in-body', 'pending', 2, 'ECONNECTION: connect ECONNREFUSED 127.0.0.1:25']);
    await db.query(insert, ['verify-email', null, 'failed', 5, 'EENVELOPE 550: mailbox unavailable']);
    await db.query(insert, ['verify-email', null, 'sent', 1, null]);

    const result = spawnSync(process.execPath, [script], { env: { PATH: process.env.PATH, DATABASE_URL: db.url }, encoding: 'utf8' });

    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^pending: 1 \(oldest queued .+Z\)\nsent: 1\nfailed: 1\n/);
    expect(result.stdout).toMatch(/pending after failed attempts[^\n]*\n {2}[0-9a-f-]{36} {2}reset-password {2}attempts=2 {2}next attempt .+ECONNREFUSED/);
    expect(result.stdout).toMatch(/failed for good[^\n]*\n {2}[0-9a-f-]{36} {2}verify-email {2}attempts=5 .+550: mailbox unavailable/);
    expect(result.stdout).not.toContain('secret-token-in-body');
  });

  it('says what is missing without DATABASE_URL', () => {
    const result = spawnSync(process.execPath, [script], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('DATABASE_URL is not set');
  });
});
