import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { PROJECT_MIGRATIONS } from '../support/app-root';

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
