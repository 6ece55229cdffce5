import fs from 'node:fs';
import path from 'node:path';
import { checkMigrationSql } from '../../src/migrations/migration-safety';
import { PROJECT_MIGRATIONS } from '../support/app-root';

const problems = async (sql: string) => (await checkMigrationSql('m.sql', sql)).map((finding) => finding.problem);

describe('migration safety rules (npm run db:check-migrations)', () => {
  it('passes additive changes: new tables, nullable columns, columns with defaults, indexes', async () => {
    expect(
      await problems(`
        CREATE TABLE "t" ("id" UUID NOT NULL, "email" TEXT NOT NULL, CONSTRAINT "t_pkey" PRIMARY KEY ("id"));
        CREATE UNIQUE INDEX "t_email_key" ON "t"("email");
        ALTER TABLE "t" ALTER COLUMN "email" SET NOT NULL;
        ALTER TABLE "user" ADD COLUMN "note" TEXT, ADD COLUMN "count" INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX "user_note_idx" ON "user"("note");
        CREATE UNIQUE INDEX CONCURRENTLY "user_note_key" ON "user"("note");
        UPDATE "user" SET "note" = 'x; DROP TABLE "user";';`),
    ).toEqual([]);
  });

  it.each([
    ['DROP TABLE "session";', /drops table\(s\) session/],
    ['ALTER TABLE "user" DROP COLUMN "name";', /drops column user\.name/],
    ['ALTER TABLE "user" RENAME COLUMN "name" TO "displayName";', /renames column user\.name to displayName/],
    ['ALTER TABLE "user" RENAME TO "account";', /renames table user to account/],
    ['ALTER TABLE "user" ALTER COLUMN "name" TYPE VARCHAR(50);', /changes the type of column user\.name/],
    ['ALTER TABLE "user" ALTER COLUMN "name" SET NOT NULL;', /sets column user\.name NOT NULL/],
    ['ALTER TABLE "user" ADD COLUMN "tenant" UUID NOT NULL;', /adds column user\.tenant NOT NULL without a default/],
    ['CREATE UNIQUE INDEX "user_name_key" ON "user"("name");', /unique index on the existing table user without CONCURRENTLY/],
    ['ALTER TABLE "user" ADD CONSTRAINT "user_name_key" UNIQUE ("name");', /unique constraint to the existing table user/],
  ])('refuses %s', async (sql, problem) => {
    const found = await problems(`-- a comment\n\n${sql}`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(problem);
  });

  it('names the line of the statement and gives two-release advice', async () => {
    const [finding] = await checkMigrationSql(
      'prisma/migrations/x/migration.sql',
      '-- AlterTable\nALTER TABLE "user" ADD COLUMN "a" TEXT;\n\n-- AlterTable\nALTER TABLE "user"\n  DROP COLUMN "name";\n',
    );
    expect(finding).toMatchObject({ file: 'prisma/migrations/x/migration.sql', line: 5, statement: 'ALTER TABLE "user" DROP COLUMN "name";' });
    expect(finding!.advice).toMatch(/Two releases: first ship code that no longer reads or writes it/);
  });

  it('lets a statement marked `-- contract: <why>` pass, and only that statement', async () => {
    const sql = '-- contract: release 2 stopped reading "name" (#42)\nALTER TABLE "user" DROP COLUMN "name";\nALTER TABLE "session" DROP COLUMN "userAgent";\n';
    expect(await problems(sql)).toEqual([expect.stringMatching(/drops column session\.userAgent/)]);
  });

  it('says which file is not valid SQL', async () => {
    await expect(checkMigrationSql('bad.sql', 'ALTER TABLE WHERE;')).rejects.toThrow(/^bad\.sql: not valid PostgreSQL/);
  });

  it('passes every migration the project ships', async () => {
    const dir = path.resolve(__dirname, '../../prisma/migrations');
    for (const name of PROJECT_MIGRATIONS) {
      expect(await checkMigrationSql(name, fs.readFileSync(path.join(dir, name, 'migration.sql'), 'utf8'))).toEqual([]);
    }
  });
});
