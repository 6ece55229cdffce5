/**
 * The operations scripts, run for real (direct mode: DATABASE_URL and the PostgreSQL client
 * tools of this machine) against a database of their own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createTestDatabase, describeWithPgTools, type TestDatabase } from '../support/test-database';

const repo = path.resolve(__dirname, '../../..');
const script = (name: string) => path.join(repo, 'scripts', name);

function run(name: string, args: string[], env: Record<string, string | undefined> = {}, input?: string) {
  const result = spawnSync('bash', [script(name), ...args], {
    cwd: repo,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    encoding: 'utf8',
    input,
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describeWithPgTools('scripts/backup.sh, restore.sh and verify.sh', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backups-'));
    await db.query(`INSERT INTO "user" (id, email, "passwordHash", name, "updatedAt")
                    SELECT gen_random_uuid(), 'user' || n || '@example.com', 'hash-' || n, CASE WHEN n % 2 = 0 THEN 'Name ''' || n || ';' END, now()
                      FROM generate_series(1, 50) AS n`);
  });
  afterAll(async () => {
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const tableChecksum = async () =>
    (await db.query<{ sum: string }>(`SELECT md5(string_agg(row_to_json(u)::text, '|' ORDER BY id)) AS sum FROM "user" u`))[0]!.sum;

  it('round-trips: backup, damage the data, restore gives back identical rows', async () => {
    const before = await tableChecksum();
    const backup = run('backup.sh', ['--dir', dir], { DATABASE_URL: db.url });
    expect(backup.stderr).not.toMatch(/error/i);
    expect(backup.status).toBe(0);
    const file = /backup written: (\S+) \(/.exec(backup.stdout)?.[1];
    expect(path.basename(file!)).toMatch(new RegExp(`^${db.name}-\\d{8}T\\d{6}Z\\.sql\\.gz$`));
    expect(fs.existsSync(`${file}.sha256`)).toBe(true);

    await db.query(`DELETE FROM "user" WHERE email LIKE 'user1%'`);
    await db.query(`UPDATE "user" SET name = 'changed'`);
    await db.query(`ALTER TABLE "user" ADD COLUMN stray int`);
    expect(await tableChecksum()).not.toBe(before);

    const restore = run('restore.sh', ['--yes', file!], { DATABASE_URL: db.url });
    expect(restore.stderr).not.toMatch(/^error/m);
    expect(restore.status).toBe(0);
    expect(restore.stdout).toMatch(/user\s+50/);
    expect(await tableChecksum()).toBe(before);
  });

  it('refuses to restore without confirmation and changes nothing', async () => {
    const file = /backup written: (\S+) \(/.exec(run('backup.sh', ['--dir', dir], { DATABASE_URL: db.url }).stdout)![1]!;
    await db.query(`UPDATE "user" SET name = 'after the backup' WHERE email = 'user1@example.com'`);
    const before = await tableChecksum();

    const noTty = run('restore.sh', [file], { DATABASE_URL: db.url }, '');
    expect(noTty.status).not.toBe(0);
    expect(noTty.stderr).toMatch(/refusing to restore without confirmation: pass --yes/);
    expect(await tableChecksum()).toBe(before);
  });

  it('refuses a backup whose checksum does not match, and one without a checksum file', async () => {
    const file = /backup written: (\S+) \(/.exec(run('backup.sh', ['--dir', dir], { DATABASE_URL: db.url }).stdout)![1]!;
    const tampered = path.join(dir, 'tampered.sql.gz');
    fs.copyFileSync(file, tampered);
    fs.writeFileSync(
      `${tampered}.sha256`,
      fs.readFileSync(`${file}.sha256`, 'utf8').replace(/^./, (c) => (c === '0' ? '1' : '0')),
    );
    const mismatch = run('restore.sh', ['--yes', tampered], { DATABASE_URL: db.url });
    expect(mismatch.status).not.toBe(0);
    expect(mismatch.stderr).toMatch(/checksum mismatch/);

    fs.rmSync(`${tampered}.sha256`);
    expect(run('restore.sh', ['--yes', tampered], { DATABASE_URL: db.url }).stderr).toMatch(/no checksum file/);
  });

  it('verify.sh prints the connection, the user count and the migration status', () => {
    const verify = run('verify.sh', [], { DATABASE_URL: db.url });
    expect(verify.stderr).not.toMatch(/error/i);
    expect(verify.status).toBe(0);
    expect(verify.stdout).toMatch(/^connection: ok/m);
    expect(verify.stdout).toMatch(/^users: \d+$/m);
    expect(verify.stdout).toMatch(/Database schema is up to date!/);
  });

  it.each([
    ['backup.sh', ['--dir', '/proc/not-writable']],
    ['restore.sh', ['--yes', '/no/such/backup.sql.gz']],
  ])('%s gives a clear error for a wrong path', (name, args) => {
    const result = run(name, args, { DATABASE_URL: db.url });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/^error: (no such backup file|cannot create the backup folder|the backup folder .* is not writable)/m);
  });

  it.each(['backup.sh', 'verify.sh'])('%s gives a clear error for an unreachable database', (name) => {
    const result = run(name, name === 'backup.sh' ? ['--dir', dir] : [], { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/^error: cannot connect to the database \(postgresql:\/\/postgres@127\.0\.0\.1:1\/none\)/m);
  });

  it('gives a clear error when pg_dump is missing', () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'bin-'));
    for (const tool of ['bash', 'gzip', 'sha256sum', 'awk', 'sed', 'dirname', 'date', 'mkdir', 'du', 'cut']) {
      const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (found) fs.symlinkSync(found, path.join(bin, tool));
    }
    const result = spawnSync(path.join(bin, 'bash'), [script('backup.sh'), '--dir', dir], { env: { PATH: bin, DATABASE_URL: db.url }, encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/^error: 'pg_dump' is not installed or not on PATH/m);
  });

  it('redacts the password when it names the database', () => {
    const result = run('verify.sh', [], { DATABASE_URL: 'postgresql://postgres:s3cret-value@127.0.0.1:1/none' });
    expect(result.stderr).toContain('postgres:***@127.0.0.1:1/none');
    expect(result.stderr + result.stdout).not.toContain('s3cret-value');
  });
});
