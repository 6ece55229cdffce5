import fs from 'node:fs';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { listLocalMigrations } from '../../src/migrations/migration-state';
import { migrationsDir } from '../../src/paths';

const EMAIL_MIGRATION = '20261201100000_email_verification_and_outbox';
const sqlOf = (name: string) => fs.readFileSync(path.join(migrationsDir(), name, 'migration.sql'), 'utf8');

describe(`migration ${EMAIL_MIGRATION}`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('keeps existing accounts and sessions, and treats them as unverified', async () => {
    const before = listLocalMigrations(migrationsDir()).filter((name) => name < EMAIL_MIGRATION);
    for (const name of before) await db.query(sqlOf(name));
    await db.query(
      `INSERT INTO "user" (id, email, "passwordHash", name, "updatedAt") VALUES ('8d7f0a4e-7a43-4f65-9d43-1b2b8e0f9a10', 'old@example.com', 'hash', 'Old', now())`,
    );
    await db.query(
      `INSERT INTO session (id, "userId", "expiresAt") VALUES ('5c1e6f38-3d55-4b7f-8c4e-2f7c3a9d1b20', '8d7f0a4e-7a43-4f65-9d43-1b2b8e0f9a10', now() + interval '1 day')`,
    );

    await db.query(sqlOf(EMAIL_MIGRATION));

    expect(await db.query(`SELECT email, "passwordHash", name, "emailVerifiedAt" FROM "user"`)).toEqual([
      { email: 'old@example.com', passwordHash: 'hash', name: 'Old', emailVerifiedAt: null },
    ]);
    expect(await db.query(`SELECT count(*)::int AS n FROM session`)).toEqual([{ n: 1 }]);
    expect(await db.query(`SELECT count(*)::int AS n FROM mail_outbox`)).toEqual([{ n: 0 }]);
  });
});
