/**
 * The data-safety guide's flows in a real Docker engine, typed as a user types them in a fresh copy
 * of the repository, once with the checkout owned by root and once by a user that is neither root
 * nor uid 1000 (uid 1001, in the docker group). Each block is one stack lifetime whose steps build
 * on each other, in order; what is asserted is what the user sees: command output and exit codes,
 * `docker-compose ps`, logs, files on the host and their owners, rows in PostgreSQL, the API on its
 * published port.
 */
import fs from 'node:fs';
import { Checkout, describeWithEngine, otherUser, PRISMA_NOISE, rootUser, sleep, type HostUser } from '../support/compose-stack';
import { ensureBackendImage } from '../support/backend-image';
import { PROJECT_MIGRATIONS } from '../support/app-root';

const STEP = 240_000;
const owners: Array<[string, HostUser | string]> = [
  ['root', rootUser()],
  ['uid 1001 (neither root nor 1000)', otherUser()],
];

const MIGRATIONS = 'auth-backend/prisma/migrations';
const PULLED = '20270101000000_add_user_note';
const BROKEN = '20270102000000_add_login_count';

describeWithEngine('the stack in Docker, as a user runs it (docs/data-safety.md)', () => {
  beforeAll(() => ensureBackendImage(), 900_000);

  describe.each(owners)('checkout owned by %s', (_label, owner) => {
    if (typeof owner === 'string') {
      it.skip(`(skipped: ${owner})`, () => undefined);
      return;
    }
    let stack: Checkout;
    const email = `first.${owner.uid}@example.com`;
    const password = 'a perfectly good passphrase';
    const ownedByOwner = (relative: string) => {
      const { uid, gid } = fs.statSync(stack.path(relative));
      return { file: relative, uid, gid };
    };

    beforeAll(async () => {
      stack = await Checkout.create(owner);
    });
    afterAll(() => stack?.destroy(), 120_000);

    it('first start: `scripts/init-env.sh && docker-compose up -d` ends healthy; register and login through the published port', async () => {
      expect(fs.existsSync(stack.path('backups'))).toBe(false);
      const up = stack.run('scripts/init-env.sh && docker-compose up -d', { timeoutSeconds: 600 });
      expect(up.output).toMatch(/wrote \.env with new secrets/);
      expect(up.status).toBe(0);
      await stack.waitForHealthy();
      expect(stack.ok('docker-compose ps')).toMatch(/backend.*Up \(healthy\)/);

      const registered = await stack.api('/auth/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
      expect(registered.status).toBe(201);
      const login = await stack.api('/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
      expect(login.status).toBe(200);
      expect(((await login.json()) as { accessToken?: string }).accessToken).toEqual(expect.any(String));
      expect(ownedByOwner('.env')).toMatchObject({ uid: owner.uid });
    }, 900_000);

    it(
      "the guide's verification commands print the state",
      () => {
        const verify = stack.ok('scripts/verify.sh');
        expect(verify).toMatch(/^connection: ok/m);
        expect(verify).toMatch(/^users: 1$/m);
        expect(verify).toMatch(/Database schema is up to date!/);
        expect(stack.ok('docker-compose exec backend npx prisma migrate status')).toMatch(
          new RegExp(`${PROJECT_MIGRATIONS.length} migrations? found in prisma/migrations[\\s\\S]*Database schema is up to date!`),
        );
        expect(stack.ok(`docker-compose exec -T db psql -U postgres -d auth_service -c 'SELECT COUNT(*) FROM "user";'`)).toMatch(
          /count\s*\n-+\n\s*1\s*\n\(1 row\)/,
        );
      },
      STEP,
    );

    it(
      'subsequent deployments: a schema edit saved by rename becomes a migration on the host, owned by the checkout owner',
      () => {
        const schemaFile = 'auth-backend/prisma/schema.prisma';
        stack.saveByRename(schemaFile, fs.readFileSync(stack.path(schemaFile), 'utf8').replace('  name ', '  locale       String?\n  name '));
        const migrate = stack.ok('docker-compose exec backend npm run db:migrate -- --name add_user_locale');
        expect(migrate).toMatch(/wrote prisma\/migrations\/\d{14}_add_user_locale\/migration\.sql/);
        expect(migrate).toMatch(/ALTER TABLE "user" ADD COLUMN\s+"locale" TEXT/);
        const created = fs.readdirSync(stack.path(MIGRATIONS)).find((name) => name.endsWith('_add_user_locale'))!;
        expect(created).toBeDefined();
        for (const file of [`${MIGRATIONS}/${created}`, `${MIGRATIONS}/${created}/migration.sql`]) {
          expect(ownedByOwner(file)).toEqual({ file, uid: owner.uid, gid: owner.gid });
        }
        expect(stack.sql(`SELECT column_name FROM information_schema.columns WHERE table_name = 'user' AND column_name = 'locale'`)).toBe('locale');
        expect(stack.sql('SELECT COUNT(*) FROM "user"')).toBe('1');
      },
      STEP,
    );

    it(
      'a migration that arrives with a git pull is applied by `docker-compose restart backend`, after a pre-migration backup on the host',
      async () => {
        // What `git pull` does to the checkout: a new migration folder, written as its owner.
        stack.ok(`mkdir ${MIGRATIONS}/${PULLED} && echo 'ALTER TABLE "user" ADD COLUMN "note" TEXT;' > ${MIGRATIONS}/${PULLED}/migration.sql`);
        stack.ok('docker-compose restart backend');
        await stack.waitForHealthy();
        const backups = fs.readdirSync(stack.path('backups'));
        const backup = backups.find((name) => /^auth_service-\d{8}T\d{6}Z-pre-migrate\.sql\.gz$/.test(name));
        expect(backup).toBeDefined();
        expect(backups).toContain(`${backup}.sha256`);
        for (const file of ['backups', `backups/${backup}`, `backups/${backup}.sha256`])
          expect(ownedByOwner(file)).toEqual({ file, uid: owner.uid, gid: owner.gid });
        expect(stack.ok('docker-compose logs backend')).toMatch(new RegExp(`pre-migration backup written: /app/backups/${backup}`));
        expect(stack.sql(`SELECT migration_name FROM _prisma_migrations WHERE migration_name = '${PULLED}' AND finished_at IS NOT NULL`)).toBe(PULLED);
        expect(stack.sql('SELECT email FROM "user"')).toBe(email);
      },
      STEP,
    );

    it(
      'a failed migration: not healthy, the log names it and the recovery, and the recovery as printed works from the restart loop',
      async () => {
        stack.ok(
          `mkdir ${MIGRATIONS}/${BROKEN} && echo 'ALTER TABLE "user" ADD COLUMN "logins" INTEGER NOT NULL DEFAULT oops;' > ${MIGRATIONS}/${BROKEN}/migration.sql`,
        );
        stack.ok('docker-compose restart backend');
        await stack.waitForRestartLoop();
        expect(stack.inspect('backend').health).not.toBe('healthy');
        expect(stack.ok('docker-compose ps')).not.toMatch(/backend.*\(healthy\)/);
        const logs = stack.ok('docker-compose logs backend');
        const recovery = `docker-compose run --rm backend npm run db:resolve -- --rolled-back ${BROKEN}`;
        expect(logs).toContain(`migration ${BROKEN} is recorded as failed`);
        expect(logs).toContain(recovery);
        expect(stack.sql(`SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'user' AND column_name = 'logins'`)).toBe('0');

        // docs/operations.md: fix the migration.sql, mark it rolled back, start again.
        stack.ok(`echo 'ALTER TABLE "user" ADD COLUMN "logins" INTEGER NOT NULL DEFAULT 0;' > ${MIGRATIONS}/${BROKEN}/migration.sql`);
        expect(stack.ok(recovery)).toMatch(new RegExp(`marked ${BROKEN} as rolled back`));
        stack.ok('docker-compose restart backend');
        await stack.waitForHealthy();
        expect(stack.sql(`SELECT COUNT(*) FROM _prisma_migrations WHERE migration_name = '${BROKEN}' AND finished_at IS NOT NULL`)).toBe('1');
        expect(stack.sql('SELECT email FROM "user"')).toBe(email);
      },
      STEP,
    );

    it(
      'scripts/backup.sh and scripts/restore.sh, and the by-hand pg_dump/psql, bring back deleted data',
      async () => {
        const backup = stack.ok('scripts/backup.sh');
        const file = /backup written: (\S+) \(/.exec(backup)![1]!;
        const relative = file.slice(stack.dir.length + 1);
        expect(relative).toMatch(/^backups\/auth_service-\d{8}T\d{6}Z\.sql\.gz$/);
        expect(ownedByOwner(relative)).toMatchObject({ uid: owner.uid });

        stack.sql('DELETE FROM "user"');
        stack.ok('docker-compose stop backend');
        const restore = stack.ok(`scripts/restore.sh --yes ${relative}`);
        expect(restore).toMatch(/restore complete/);
        expect(restore).toMatch(/user\s+1/);
        stack.ok('docker-compose start backend');
        await stack.waitForHealthy();
        expect(stack.sql('SELECT email FROM "user"')).toBe(email);

        stack.ok('docker-compose exec -T db pg_dump -U postgres --clean --if-exists auth_service | gzip > backups/manual.sql.gz');
        expect(ownedByOwner('backups/manual.sql.gz')).toMatchObject({ uid: owner.uid });
        stack.sql('DELETE FROM "user"');
        stack.ok('gunzip -c backups/manual.sql.gz | docker-compose exec -T db psql -U postgres -d auth_service -v ON_ERROR_STOP=1 --single-transaction');
        expect(stack.sql('SELECT email FROM "user"')).toBe(email);
      },
      STEP,
    );

    it(
      'Prisma Studio answers on 127.0.0.1 at the Studio port while it runs',
      async () => {
        const studio = stack.background('docker-compose exec backend npm run db:studio -- --hostname 0.0.0.0');
        try {
          let status = 0;
          for (let i = 0; i < 60 && status !== 200; i++) {
            await sleep(1000);
            status = await fetch(`http://127.0.0.1:${stack.ports.studio}/`).then(
              (response) => response.status,
              () => 0,
            );
          }
          expect({ status, output: status === 200 ? '' : studio.output() }).toEqual({ status: 200, output: '' });
        } finally {
          await studio.stop();
        }
      },
      STEP,
    );

    it(
      'the backup profile writes scheduled backups owned by the checkout owner',
      async () => {
        stack.extraEnv.BACKUP_INTERVAL_SECONDS = '3600';
        stack.ok('docker-compose --profile backup up -d');
        let scheduled: string | undefined;
        for (let i = 0; i < 60 && !scheduled; i++) {
          await sleep(1000);
          scheduled = fs.readdirSync(stack.path('backups')).find((name) => name.endsWith('-scheduled.sql.gz.sha256'));
        }
        expect(scheduled).toBeDefined();
        const dump = scheduled!.replace(/\.sha256$/, '');
        expect(ownedByOwner(`backups/${dump}`)).toMatchObject({ uid: owner.uid });
        expect(stack.ok('docker-compose --profile backup logs backup')).toMatch(/backup written: \/backups\/auth_service-\S+-scheduled\.sql\.gz/);
        stack.ok('docker-compose --profile backup stop backup');
      },
      STEP,
    );

    it('restarts, `docker-compose stop` (exit 0 within the grace period), `down` and `up -d --build`: the data survives', async () => {
      stack.ok('docker-compose restart');
      await stack.waitForHealthy();
      expect(stack.sql('SELECT email FROM "user"')).toBe(email);

      const stop = stack.run('docker-compose stop');
      expect(stop.status).toBe(0);
      expect(stop.seconds).toBeLessThan(30);
      expect(stack.inspect('backend')).toMatchObject({ status: 'exited', exitCode: 0 });
      expect(stack.ok('docker-compose logs backend')).toMatch(/shutdown complete/);

      stack.ok('docker-compose down');
      expect(stack.ok('docker volume ls --format "{{.Name}}"').split('\n')).toContain(stack.volume);
      stack.ok('docker-compose up -d --build', { timeoutSeconds: 600 });
      await stack.waitForHealthy();
      expect(stack.sql('SELECT email FROM "user"')).toBe(email);
      const login = await stack.api('/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
      expect(login.status).toBe(200);
    }, 900_000);

    it(
      'only `docker-compose down -v` removes the volume',
      () => {
        stack.ok('docker-compose --profile backup down -v');
        expect(stack.ok('docker volume ls --format "{{.Name}}"').split('\n')).not.toContain(stack.volume);
      },
      STEP,
    );

    it('printed no Prisma warning (libssl detection, unused schema values) in any command or log above', () => {
      const noisy = stack.transcript.filter((entry) => PRISMA_NOISE.test(entry.output)).map((entry) => `${entry.command}:\n${entry.output}`);
      expect(noisy).toEqual([]);
    });
  });
});
