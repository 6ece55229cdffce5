import fs from 'node:fs';
import path from 'node:path';
import { createTestDatabase } from '../support/test-database';

const migrations = path.resolve(__dirname, '../../prisma/migrations');
const sql = (name: string) => fs.readFileSync(path.join(migrations, name, 'migration.sql'), 'utf8');

describe('migration 20261201200000_signing_keys_and_session_details (upgrade path)', () => {
  it('keeps existing users, sessions and refresh tokens; their last use is their start, their user agent unknown', async () => {
    const db = await createTestDatabase();
    try {
      await db.query(sql('20261125000000_init'));
      await db.query(
        `INSERT INTO "user" (id, email, "passwordHash", "updatedAt") VALUES ('11111111-1111-4111-8111-111111111111', 'old@example.com', 'h', now())`,
      );
      await db.query(
        `INSERT INTO session (id, "userId", "createdAt", "expiresAt") VALUES ('22222222-2222-4222-8222-222222222222', '11111111-1111-4111-8111-111111111111', '2026-11-20T10:00:00Z', now() + interval '1 day')`,
      );
      await db.query(
        `INSERT INTO refresh_token (id, "sessionId", "tokenHash", "expiresAt") VALUES ('33333333-3333-4333-8333-333333333333', '22222222-2222-4222-8222-222222222222', 'hash', now() + interval '1 day')`,
      );

      await db.query(sql('20261201200000_signing_keys_and_session_details'));

      expect(await db.query(`SELECT email FROM "user"`)).toEqual([{ email: 'old@example.com' }]);
      expect(await db.query(`SELECT id, "createdAt", "lastUsedAt", "userAgent", "revokedAt" FROM session`)).toEqual([
        {
          id: '22222222-2222-4222-8222-222222222222',
          createdAt: new Date('2026-11-20T10:00:00Z'),
          lastUsedAt: new Date('2026-11-20T10:00:00Z'),
          userAgent: null,
          revokedAt: null,
        },
      ]);
      expect(await db.query(`SELECT "tokenHash" FROM refresh_token`)).toEqual([{ tokenHash: 'hash' }]);
      expect(await db.query(`SELECT COUNT(*)::int AS n FROM signing_key`)).toEqual([{ n: 0 }]);
    } finally {
      await db.drop();
    }
  });
});
