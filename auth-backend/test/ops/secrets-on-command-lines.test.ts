/**
 * Finding 6 of the v3 security review: secrets on command lines, where anyone on the host reads
 * them (ps, /proc/PID/cmdline). scripts/lib/common.sh passed DATABASE_URL, password included, as an
 * argument of pg_dump and psql (the scheduled backup showed the superuser password in `ps`);
 * scripts/init-env.sh passed the fresh secrets to sed. Every program these scripts start is
 * replaced here by a shim that records its arguments (and whether PGPASSWORD reached it) and then
 * runs the real one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createTestDatabase, describeWithPgTools, type TestDatabase } from '../support/test-database';

const repo = path.resolve(__dirname, '../../..');

/** A PATH whose first folder shims `commands`: each logs "name args... [PGPASSWORD=set]" to `log`, then runs the real one. */
function shimmedPath(commands: string[]): { path: string; log: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shims-'));
  const log = path.join(dir, 'argv.log');
  for (const command of commands) {
    const real = spawnSync('bash', ['-c', `command -v ${command}`], { encoding: 'utf8' }).stdout.trim();
    if (!real) continue;
    fs.writeFileSync(
      path.join(dir, command),
      `#!/bin/bash\nprintf '%s' ${command} >>'${log}'; printf ' %q' "$@" >>'${log}'; [ -n "\${PGPASSWORD:-}" ] && printf ' [PGPASSWORD=set]' >>'${log}'; printf '\\n' >>'${log}'\nexec '${real}' "$@"\n`,
      { mode: 0o755 },
    );
  }
  return { path: `${dir}:${process.env.PATH}`, log, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const EXTERNAL = [
  'sed',
  'head',
  'base64',
  'tr',
  'mktemp',
  'mv',
  'cat',
  'awk',
  'grep',
  'date',
  'gzip',
  'sha256sum',
  'pg_dump',
  'psql',
  'chmod',
  'rm',
  'ls',
  'stat',
  'id',
];

describe('scripts/init-env.sh', () => {
  it('writes fresh secrets into .env without passing them to any program', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'init-env-'));
    fs.cpSync(path.join(repo, 'scripts'), path.join(dir, 'scripts'), { recursive: true });
    fs.copyFileSync(path.join(repo, '.env.example'), path.join(dir, '.env.example'));
    const shims = shimmedPath(EXTERNAL);
    try {
      const result = spawnSync('bash', [path.join(dir, 'scripts', 'init-env.sh')], { cwd: dir, env: { ...process.env, PATH: shims.path }, encoding: 'utf8' });
      expect(result.status).toBe(0);
      const env = fs.readFileSync(path.join(dir, '.env'), 'utf8');
      const secrets = ['POSTGRES_PASSWORD', 'JWT_SECRET', 'PASSWORD_PEPPER', 'KEY_ENCRYPTION_KEY'].map(
        (name) => new RegExp(`^${name}=(.+)$`, 'm').exec(env)![1]!,
      );
      expect(new Set(secrets).size).toBe(4);
      for (const secret of secrets) expect(secret.length).toBeGreaterThanOrEqual(40);
      const argv = fs.existsSync(shims.log) ? fs.readFileSync(shims.log, 'utf8') : '';
      expect(argv).toMatch(/head|base64/);
      for (const secret of secrets) expect(argv).not.toContain(secret.slice(0, 16));
      expect(fs.statSync(path.join(dir, '.env')).mode & 0o077).toBe(0);
    } finally {
      shims.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithPgTools('scripts/backup.sh with a password in DATABASE_URL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
  });
  afterAll(() => db?.drop());

  it('hands pg_dump and psql the password through PGPASSWORD, never as an argument', () => {
    const password = 'S3cret-p%40ss-only-in-the-url';
    const url = db.url.replace('postgres@', `postgres:${password}@`);
    expect(url).toContain(password);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backups-'));
    const shims = shimmedPath(EXTERNAL);
    try {
      const result = spawnSync('bash', [path.join(repo, 'scripts', 'backup.sh'), '--dir', dir], {
        cwd: repo,
        env: { PATH: shims.path, HOME: process.env.HOME, DATABASE_URL: url },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
      const argv = fs.readFileSync(shims.log, 'utf8');
      const toolLines = argv.split('\n').filter((line) => /^(pg_dump|psql) /.test(line));
      expect(toolLines.length).toBeGreaterThan(0);
      for (const line of toolLines) {
        expect(line).not.toContain('S3cret');
        expect(line).toContain('[PGPASSWORD=set]');
      }
      expect(argv).not.toContain('S3cret');
    } finally {
      shims.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
