/**
 * Point-in-time recovery (docs/backup-restore.md) in a real Docker engine, typed
 * as an operator types it in a fresh copy of the repository owned by uid 1001 (root when there is no such
 * user): a v2 stack (the plain postgres image) upgraded to the db image with pgBackRest, a base backup,
 * an accident, `scripts/restore.sh --to-time`, the restore drill on a good and on a damaged backup, and
 * the RPO measured. One stack lifetime; the steps build on each other, in order.
 */
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { parse, stringify } from 'yaml';
import { Checkout, describeWithEngine, otherUser, PRISMA_NOISE, rootUser, sleep } from '../support/compose-stack';
import { ensureBackendImage } from '../support/backend-image';

const STEP = 300_000;
const password = 'a perfectly good passphrase';

/** docker-compose.yml as v2 shipped it: the db service on the plain postgres image, its data volume only. */
function v2Compose(current: string): string {
  const config = parse(current) as {
    services: Record<string, Record<string, unknown>>;
    volumes: Record<string, unknown>;
  };
  const db = config.services.db!;
  const environment = db.environment as Record<string, string>;
  config.services.db = {
    image: 'postgres:16-bookworm',
    restart: db.restart,
    environment: { POSTGRES_DB: environment.POSTGRES_DB, POSTGRES_USER: environment.POSTGRES_USER, POSTGRES_PASSWORD: environment.POSTGRES_PASSWORD },
    volumes: ['postgres_data:/var/lib/postgresql/data'],
    healthcheck: db.healthcheck,
  };
  delete config.services.backup;
  config.volumes = { postgres_data: config.volumes.postgres_data };
  return stringify(config);
}

describeWithEngine('point-in-time recovery in Docker (scripts/backup.sh --base, restore.sh --to-time, verify-backup.sh)', () => {
  const other = otherUser();
  const owner = typeof other === 'string' ? rootUser() : other;
  if (typeof owner === 'string') {
    it.skip(`(skipped: ${owner})`, () => undefined);
    return;
  }
  let stack: Checkout;
  let compose: string;
  const before = ['a1', 'a2'].map((name) => `${name}.pitr@example.com`); // registered on v2
  const kept = ['b1', 'b2'].map((name) => `${name}.pitr@example.com`); // after the base backup, before T
  const later = ['c1', 'c2'].map((name) => `${name}.pitr@example.com`); // after the accident

  /**
   * POST with a JSON body. A kept-alive connection from before a restart of the backend is closed under
   * the client's feet, and the host's published port can blink while the engine reconfigures its
   * networks (another stack on the engine): a client connects again, a few times. Never a retry on an
   * HTTP answer; and the last test checks that the backend never restarted by itself.
   */
  const post = async (pathname: string, body: object): Promise<Response> => {
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    for (let attempt = 1; ; attempt++) {
      try {
        return await stack.api(pathname, init);
      } catch (error) {
        if (attempt === 4) throw error;
        await sleep(1000);
      }
    }
  };
  const register = async (email: string) => {
    const response = await post('/auth/register', { email, password });
    expect({ email, status: response.status }).toEqual({ email, status: 201 });
  };
  const loginStatus = async (email: string) => (await post('/auth/login', { email, password })).status;
  const emails = () => stack.sql('SELECT email FROM "user" ORDER BY email').split('\n').filter(Boolean);
  const isoNow = () => new Date().toISOString();

  beforeAll(async () => {
    ensureBackendImage();
    stack = await Checkout.create(owner);
    compose = fs.readFileSync(stack.path('docker-compose.yml'), 'utf8');
  }, 900_000);
  afterAll(() => stack?.destroy(), 120_000);

  it('a v2 stack (the plain postgres image) serves and holds users', async () => {
    stack.saveByRename('docker-compose.yml', v2Compose(compose));
    stack.ok('scripts/init-env.sh && docker-compose up -d', { timeoutSeconds: 600 });
    await stack.waitForHealthy();
    for (const email of before) await register(email);
    expect(emails()).toEqual(before);
  }, 900_000);

  it(
    'upgrading it to the db image keeps every row, and archiving starts at the first start',
    async () => {
      const rows = stack.sql(`SELECT md5(string_agg(u::text, '|' ORDER BY id)) FROM "user" u`);
      stack.saveByRename('docker-compose.yml', compose); // what `git pull` brings
      stack.ok('docker-compose up -d', { timeoutSeconds: 600 });
      await stack.waitForHealthy();
      expect(stack.sql(`SELECT md5(string_agg(u::text, '|' ORDER BY id)) FROM "user" u`)).toBe(rows);
      for (const email of before) expect({ email, login: await loginStatus(email) }).toEqual({ email, login: 200 });
      expect(stack.sql('SHOW archive_mode')).toBe('on');
      stack.ok('docker-compose exec -T -u postgres db pgbackrest check');
      const verify = stack.ok('scripts/verify.sh');
      expect(verify).toMatch(/^ {2}newest base backup: none yet/m);
      expect(verify).toMatch(/^ {2}wal archive: ok, /m);
      expect(verify).toMatch(/Database schema is up to date!/);
    },
    STEP,
  );

  let target = '';
  let beforeBase = '';
  it(
    'an accident after a base backup is undone by restore.sh --to-time: exactly the users of that moment come back',
    async () => {
      beforeBase = isoNow();
      await sleep(1100);
      const base = stack.ok('scripts/backup.sh --base');
      const label = /^base backup written: (\d{8}-\d{6}F) /m.exec(base)?.[1];
      expect(label).toBeDefined();

      for (const email of kept) await register(email);
      await sleep(1000);
      target = isoNow();
      await sleep(1000);
      stack.sql('DELETE FROM "user"');
      for (const email of later) await register(email);
      expect(emails()).toEqual(later);

      const restore = stack.run(`scripts/restore.sh --yes --to-time "${target}"`, { timeoutSeconds: 600 });
      process.stderr.write(`restore.sh --to-time took ${restore.seconds.toFixed(0)} s:\n${restore.output}\n`);
      expect({ status: restore.status, output: restore.output }).toEqual({ status: 0, output: expect.stringMatching(/restored the database to/) });
      expect(restore.output).toMatch(new RegExp(`base backup: +${label}`));
      expect(restore.output).toMatch(/last transaction replayed: committed at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
      const aside = /replaced state kept in: +volume (\S+)/.exec(restore.output)?.[1];
      expect(aside).toBeDefined();
      expect(restore.output).toMatch(/^backend: started, healthy$/m);

      await stack.waitForHealthy();
      expect(emails()).toEqual([...before, ...kept].sort());
      for (const email of [...before, ...kept]) expect({ email, login: await loginStatus(email) }).toEqual({ email, login: 200 });
      for (const email of later) expect({ email, login: await loginStatus(email) }).toEqual({ email, login: 401 });

      // The replaced state is kept: the volume holds the data directory as it was before the restore.
      expect(stack.replacedVolumes()).toEqual([aside]);
      const listing = spawnSync('docker', ['run', '--rm', '-v', `${aside}:/replaced:ro`, '--entrypoint', 'ls', 'auth-db:local', '/replaced'], {
        encoding: 'utf8',
      });
      expect(listing.stdout.split('\n')).toEqual(expect.arrayContaining(['PG_VERSION', 'base', 'pg_wal']));
    },
    STEP,
  );

  it(
    'a time before the oldest base backup, or after the newest archived WAL, is refused with the reachable range, and nothing changes',
    async () => {
      const now = emails();
      const refused = stack.run(`scripts/restore.sh --yes --to-time "${beforeBase}"`);
      expect(refused.status).not.toBe(0);
      expect(refused.output).toMatch(
        /error: cannot restore to \S+ \S+: the archive reaches from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00 \(end of base backup \S+\) to \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\+00 \(the newest archived WAL\); nothing was changed/,
      );
      const future = stack.run(`scripts/restore.sh --yes --to-time "${new Date(Date.now() + 3_600_000).toISOString()}"`);
      expect(future.status).not.toBe(0);
      expect(future.output).toMatch(/error: cannot restore to \S+ \S+: the archive reaches from .* \(the newest archived WAL\); nothing was changed/);
      expect(emails()).toEqual(now);
      expect(stack.replacedVolumes()).toHaveLength(1);
      expect(stack.inspect('backend')).toMatchObject({ status: 'running', health: 'healthy' });
    },
    STEP,
  );

  it(
    'RPO: a committed registration reaches the archive within ARCHIVE_TIMEOUT (60 s)',
    async () => {
      await register('rpo.pitr@example.com');
      const committed = Date.now();
      const segment = stack.sql('SELECT pg_walfile_name(pg_current_wal_lsn())');
      let archived = '';
      while (Date.now() - committed < 90_000) {
        archived = stack.sql('SELECT last_archived_wal FROM pg_stat_archiver');
        if (archived >= segment) break;
        await sleep(1000);
      }
      const rpo = (Date.now() - committed) / 1000;
      // The RPO: how long a committed registration stays out of the archive (lost if the data volume is lost).
      process.stderr.write(
        `RPO measured: the registration reached the archive ${rpo.toFixed(1)} s after its commit (segment ${segment}, ARCHIVE_TIMEOUT 60 s)\n`,
      );
      expect(archived >= segment).toBe(true);
      expect(rpo).toBeLessThan(75);
    },
    STEP,
  );

  it(
    'verify-backup.sh restores the newest base backup in a throwaway container and passes; verify.sh shows backup, age, lag and drill',
    () => {
      const drill = stack.ok('scripts/verify-backup.sh', { timeoutSeconds: 600 });
      expect(drill).toMatch(/^restore drill: PASSED \(base backup \d{8}-\d{6}F\)/m);
      expect(drill).toMatch(/^tables: "user" \d+ rows, _prisma_migrations \d+ applied/m);
      expect(spawnSync('docker', ['ps', '-aq', '--filter', 'label=auth.restore-drill=true'], { encoding: 'utf8' }).stdout.trim()).toBe('');
      expect(fs.statSync(stack.path('backups/restore-drill.log')).uid).toBe(owner.uid);

      const verify = stack.ok('scripts/verify.sh');
      expect(verify).toMatch(/^ {2}newest base backup: \d{8}-\d{6}F, finished \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(\d+ (s|min) ago\)/m);
      expect(verify).toMatch(/^ {2}wal archive: ok, \d+ segment\(s\) waiting \(lag \d+ s\)/m);
      expect(verify).toMatch(/^ {2}last restore drill: PASSED/m);
    },
    STEP,
  );

  it(
    'an archive that cannot be written: the service keeps serving, PostgreSQL keeps the WAL, verify.sh says so loudly, and archiving catches up',
    async () => {
      const archiveWritable = (writable: boolean) =>
        spawnSync(
          'docker',
          [
            'run',
            '--rm',
            '-v',
            `${stack.archiveVolume}:/repo`,
            '--entrypoint',
            'sh',
            'auth-db:local',
            '-c',
            `find /repo/archive -type d -exec chmod ${writable ? 'u+w' : 'a-w'} {} +`,
          ],
          { encoding: 'utf8' },
        ).status;
      expect(archiveWritable(false)).toBe(0);
      try {
        await register('while.failing.pitr@example.com');
        stack.sql('SELECT pg_switch_wal()');
        let verify = stack.run('scripts/verify.sh');
        for (let i = 0; i < 20 && verify.status === 0; i++) {
          await sleep(1000);
          verify = stack.run('scripts/verify.sh');
        }
        expect(verify.status).not.toBe(0);
        expect(verify.output).toMatch(/WAL ARCHIVE: FAILING, \d+ segment\(s\) waiting in pg_wal/);
        expect(verify.output).toMatch(/error: point-in-time recovery needs attention/);
        await register('still.serving.pitr@example.com');
        expect(await loginStatus('while.failing.pitr@example.com')).toBe(200);
      } finally {
        archiveWritable(true);
      }
      stack.ok('docker-compose exec -T -u postgres db pgbackrest check', { timeoutSeconds: 300 });
      expect(stack.ok('scripts/verify.sh')).toMatch(/^ {2}wal archive: ok, /m);
    },
    STEP,
  );

  it(
    'the backup profile takes a base backup on its schedule and runs the drill on it',
    async () => {
      stack.extraEnv.BACKUP_INTERVAL_SECONDS = '3600';
      stack.ok('docker-compose --profile backup up -d');
      let logs = '';
      for (let i = 0; i < 120 && !/restore drill: (PASSED|FAILED)/.test(logs); i++) {
        await sleep(1000);
        logs = stack.ok('docker-compose --profile backup logs backup');
      }
      expect(logs).toMatch(/new backup label = \d{8}-\d{6}F/);
      expect(logs).toMatch(/restore drill: PASSED/);
      stack.ok('docker-compose --profile backup stop backup');
      expect(stack.ok('scripts/verify.sh')).toMatch(/^ {2}base backups kept: 2 /m);
    },
    STEP,
  );

  it(
    'verify-backup.sh fails, non-zero and saying why, on a damaged base backup, and leaves nothing behind',
    () => {
      // Damage one file of the newest base backup in the archive, as a bad disk would.
      const damage = spawnSync(
        'docker',
        [
          'run',
          '--rm',
          '-v',
          `${stack.archiveVolume}:/repo`,
          '--entrypoint',
          'sh',
          'auth-db:local',
          '-c',
          'set -e; newest=$(ls -d /repo/backup/auth/*F | sort | tail -n 1); file=$(find "$newest/pg_data/base" -type f -size +8k | sort | head -n 1); ' +
            'dd if=/dev/urandom of="$file" bs=1 count=512 seek=2048 conv=notrunc 2>/dev/null; echo "$file"',
        ],
        { encoding: 'utf8' },
      );
      expect(damage.stdout).toMatch(/\/repo\/backup\/auth\/\d{8}-\d{6}F\/pg_data\/base\//);
      const drill = stack.run('scripts/verify-backup.sh', { timeoutSeconds: 600 });
      expect(drill.status).not.toBe(0);
      expect(drill.output).toMatch(/^restore drill: FAILED: the restore of base backup \d{8}-\d{6}F failed: /m);
      expect(spawnSync('docker', ['ps', '-aq', '--filter', 'label=auth.restore-drill=true'], { encoding: 'utf8' }).stdout.trim()).toBe('');
      const verify = stack.run('scripts/verify.sh');
      expect(verify.status).not.toBe(0);
      expect(verify.output).toMatch(/^ {2}last restore drill: FAILED/m);
    },
    STEP,
  );

  it('every script answers --help with its usage', () => {
    for (const script of ['backup.sh', 'restore.sh', 'verify.sh', 'verify-backup.sh', 'init-env.sh', 'check-static.sh']) {
      expect({ script, help: stack.ok(`scripts/${script} --help`) }).toEqual({ script, help: expect.stringMatching(/scripts\/\S+\.sh/) });
    }
    expect(stack.ok('scripts/restore.sh --help')).toMatch(/--to-time TIME/);
    expect(stack.ok('scripts/backup.sh --help')).toMatch(/--base/);
  });

  it('the backend and the database never restarted by themselves', () => {
    expect({ backend: stack.inspect('backend').restartCount, db: stack.inspect('db').restartCount }).toEqual({ backend: 0, db: 0 });
  });

  it('printed no Prisma warning in any command or log above', () => {
    expect(stack.transcript.filter((entry) => PRISMA_NOISE.test(entry.output)).map((entry) => `${entry.command}:\n${entry.output}`)).toEqual([]);
  });
});
