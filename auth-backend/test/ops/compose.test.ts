/**
 * Docker cannot run here: the compose file is checked by Debian's docker-compose (`config`
 * needs no engine) and its facts are asserted on the normalised output.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';

const repo = path.resolve(__dirname, '../../..');
const hasCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;

interface Service {
  image?: string;
  build?: { context: string };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  healthcheck?: { test: string[] | string };
  restart?: string;
  init?: boolean;
  stop_grace_period?: string;
  profiles?: string[];
  environment?: Record<string, string>;
  env_file?: string[];
}

(hasCompose ? describe : describe.skip)('docker-compose.yml (docker-compose config)', () => {
  let config: { services: Record<string, Service>; volumes: Record<string, { name?: string }> };

  beforeAll(() => {
    // A copy with .env made from .env.example, as a new user would have after scripts/init-env.sh.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-'));
    fs.copyFileSync(path.join(repo, 'docker-compose.yml'), path.join(dir, 'docker-compose.yml'));
    fs.copyFileSync(path.join(repo, '.env.example'), path.join(dir, '.env'));
    fs.mkdirSync(path.join(dir, 'auth-backend')); // the build contexts must exist
    fs.mkdirSync(path.join(dir, 'docker', 'db'), { recursive: true });
    const result = spawnSync('docker-compose', ['config'], { cwd: dir, encoding: 'utf8' });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    config = parse(result.stdout);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('has the db service: PostgreSQL 16, database auth_service, user postgres, pg_isready healthcheck, data in postgres_data', () => {
    const db = config.services.db!;
    // The postgres:16 image with pgBackRest added (docs/decisions/0010-point-in-time-recovery.md).
    expect(db.build?.context).toMatch(/docker\/db$/);
    expect(fs.readFileSync(path.join(repo, 'docker', 'db', 'Dockerfile'), 'utf8')).toMatch(/^FROM postgres:16-bookworm$/m);
    expect(db.environment).toMatchObject({ POSTGRES_DB: 'auth_service', POSTGRES_USER: 'postgres' });
    expect(JSON.stringify(db.healthcheck?.test)).toContain('pg_isready');
    expect(db.volumes!.filter((volume) => volume.includes('/var/lib/postgresql/data'))).toEqual([
      expect.stringMatching(/^postgres_data:\/var\/lib\/postgresql\/data(:rw)?$/),
    ]);
    expect(config.volumes.postgres_data).toEqual({ name: 'postgres_data' });
  });

  it('archives the WAL of the db service into a volume of its own, postgres_archive, every ARCHIVE_TIMEOUT seconds at most', () => {
    const db = config.services.db!;
    expect(db.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/^postgres_archive:\/var\/lib\/pgbackrest(:rw)?$/)]));
    expect(config.volumes.postgres_archive).toEqual({ name: 'postgres_archive' });
    expect(db.environment).toMatchObject({ ARCHIVE_TIMEOUT: '60', PGBACKREST_REPO1_RETENTION_FULL: '14' });
  });

  it('has the backend service: built from auth-backend, waits for a healthy db, mounts migrations, checks /ready', () => {
    const backend = config.services.backend!;
    expect(backend.build?.context).toMatch(/auth-backend$/);
    expect(backend.depends_on).toEqual({ db: { condition: 'service_healthy' } });
    // The whole prisma/ folder: a single-file mount of schema.prisma goes stale when an editor saves by rename.
    expect(backend.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/auth-backend\/prisma:\/app\/prisma(:rw)?$/)]));
    expect(backend.volumes!.filter((volume) => /schema\.prisma/.test(volume))).toEqual([]);
    expect(JSON.stringify(backend.healthcheck?.test)).toContain('/ready');
    expect(backend.restart).toBe('unless-stopped');
    expect(backend.init).toBe(true);
    expect(backend.environment?.DATABASE_URL).toMatch(/^postgresql:\/\/postgres:[^@]+@db:5432\/auth_service$/);
  });

  it('gives the backend more time to stop than its drain timeout', () => {
    const grace = Number(/^(\d+)s$/.exec(config.services.backend!.stop_grace_period ?? '')?.[1]);
    const drain = Number(/^SHUTDOWN_TIMEOUT=(\d+)$/m.exec(fs.readFileSync(path.join(repo, '.env.example'), 'utf8'))?.[1]);
    expect(grace).toBeGreaterThan(drain);
  });

  it('has an optional backup service behind a profile, writing to the host backups folder', () => {
    const backup = config.services.backup!;
    expect(backup.profiles).toEqual(['backup']);
    expect(backup.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/\/backups:\/backups(:rw)?$/)]));
  });
});

describe('auth-backend/Dockerfile', () => {
  const dockerfile = fs
    .readFileSync(path.join(repo, 'auth-backend', 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n');
  const dockerignore = fs.readFileSync(path.join(repo, 'auth-backend', '.dockerignore'), 'utf8').split('\n');

  it('installs from the lockfile without install scripts and fetches nothing else', () => {
    expect(dockerfile).toMatch(/npm ci --omit=dev --ignore-scripts/);
    expect(dockerfile).not.toMatch(/apt-get|apk add|curl |wget |npx /);
  });

  it('runs the built entrypoint with node directly, which drops root for the owner of prisma/ before anything else', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
    // No USER: the entrypoint starts as root only to take the checkout owner's uid (src/ops/run-as-owner.ts);
    // test/ops/run-as-owner.test.ts and the container suite prove that it does.
    expect(runtime).not.toMatch(/^USER /m);
    expect(runtime).toMatch(/^CMD \["node", "dist\/entrypoint\.js"\]$/m);
    const entrypoint = fs.readFileSync(path.join(repo, 'auth-backend', 'src', 'entrypoint.ts'), 'utf8');
    expect(entrypoint.indexOf('becomeCheckoutOwner(')).toBeGreaterThan(-1);
    expect(entrypoint.indexOf('becomeCheckoutOwner(')).toBeLessThan(entrypoint.indexOf('await prepareSchema('));
  });

  it('has no `# syntax=` line, whose BuildKit frontend would be fetched from a registry', () => {
    const raw = fs.readFileSync(path.join(repo, 'auth-backend', 'Dockerfile'), 'utf8');
    expect(raw).not.toMatch(/^#\s*syntax\s*=/im);
  });

  const localMajor = fs.existsSync('/usr/lib/postgresql') ? fs.readdirSync('/usr/lib/postgresql').sort().pop() : undefined;
  (localMajor ? it : it.skip)('copies working pg_dump/psql wrappers in its pgclient stage (the RUN step, run here on the local PostgreSQL)', () => {
    const raw = fs.readFileSync(path.join(repo, 'auth-backend', 'Dockerfile'), 'utf8');
    const step = /FROM \$\{POSTGRES_IMAGE\} AS pgclient\n(?:#.*\n)*RUN ([\s\S]*?\n    done)\n/.exec(raw)![1]!;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pgclient-'));
    const script = step.replaceAll('/out/', `${work}/out/`).replaceAll('/opt/pgclient/', `${work}/opt/`);
    const built = spawnSync('sh', ['-c', script], { env: { PATH: process.env.PATH, PG_MAJOR: localMajor }, encoding: 'utf8' });
    expect(built.stderr).toBe('');
    fs.renameSync(path.join(work, 'out'), path.join(work, 'opt'));
    const dump = spawnSync(path.join(work, 'opt', 'bin', 'pg_dump'), ['--version'], { env: {}, encoding: 'utf8' });
    expect(dump.stdout).toMatch(/^pg_dump \(PostgreSQL\) \d+/);
    expect(fs.readdirSync(path.join(work, 'opt', 'lib'))).toEqual(expect.arrayContaining([expect.stringMatching(/^libpq\.so/)]));
    expect(fs.readdirSync(path.join(work, 'opt', 'lib')).filter((lib) => /^(libc\.so|libm\.so|ld-linux)/.test(lib))).toEqual([]);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('keeps node_modules, .env, backups and local data out of the build context', () => {
    expect(dockerignore).toEqual(expect.arrayContaining(['node_modules', '.env', 'backups', '.data']));
  });
});

const hasShellcheck = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' }).status === 0;

(hasShellcheck ? describe : describe.skip)('shell scripts', () => {
  it('are all clean on shellcheck', () => {
    const scripts = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', '*.sh', '.ci/run'], { cwd: repo, encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
    expect(scripts).toEqual(expect.arrayContaining(['scripts/backup.sh', 'scripts/restore.sh', 'scripts/verify.sh', '.ci/run']));
    const result = spawnSync('shellcheck', ['-x', ...scripts], { cwd: repo, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
