import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
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

describe('npm run db:check-migrations', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'check-migrations'));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  const run = (...args: string[]) =>
    spawnSync('node', [path.resolve(__dirname, '../../dist/migrations/check-migrations.js'), ...args], {
      cwd: work,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });

  it('refuses a migration that drops a column with file, line, statement and advice (exit 1); with `-- contract:` it passes', () => {
    const folder = path.join(work, '20270101000000_drop_name');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'migration.sql'), '-- AlterTable\nALTER TABLE "user" DROP COLUMN "name";\n');
    const refused = run(folder);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`${path.join(folder, 'migration.sql')}:2: drops column user.name`);
    expect(refused.stderr).toContain('ALTER TABLE "user" DROP COLUMN "name";');
    expect(refused.stderr).toMatch(/Two releases/);

    fs.writeFileSync(path.join(folder, 'migration.sql'), '-- contract: release 1.4 no longer reads "name"\nALTER TABLE "user" DROP COLUMN "name";\n');
    const passed = run(folder);
    expect(passed.stdout).toMatch(/1 file\(s\) checked: safe for a rolling update/);
    expect(passed.status).toBe(0);
  });

  it('checks every shipped migration when no database is configured', () => {
    const result = spawnSync('npm', ['run', '--silent', 'db:check-migrations'], {
      cwd: path.resolve(__dirname, '../..'),
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(result.stdout).toMatch(/no DATABASE_URL: checking every migration/);
    expect(result.stdout).toMatch(new RegExp(`${PROJECT_MIGRATIONS.length} migration\\(s\\) checked: safe`));
    expect(result.status).toBe(0);
  });
});
