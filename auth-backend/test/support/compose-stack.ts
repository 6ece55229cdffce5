/**
 * The container suite's user: a fresh copy of the repository owned by a given host user, in which
 * commands are typed as that user would type them at a terminal (a pseudo-terminal, so that
 * `docker-compose exec` works as documented), against the real Docker engine. Each copy is its
 * own compose project (named after its folder) with its own volume and free host ports, and is
 * removed with its containers and volume at the end.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

export const repoRoot = path.resolve(__dirname, '../../..');
const BASE_IMAGES = ['node:22-bookworm-slim', 'postgres:16-bookworm'];

/** "ok" when an engine answers and the base images exist, else why the suite cannot run. */
export function engineStatus(): string {
  if (spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status !== 0) return 'docker-compose is not installed';
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 20_000 });
  if (info.status !== 0) return `no Docker engine answers (${(info.stderr || info.error?.message || '').trim().split('\n')[0]})`;
  const missing = BASE_IMAGES.filter((image) => spawnSync('docker', ['image', 'inspect', image], { encoding: 'utf8' }).status !== 0);
  if (missing.length > 0) return `base image(s) missing: ${missing.join(', ')} (build or load them first: .ci/run does)`;
  return 'ok';
}

/** `describe` when the engine can run the stack, else a skip that names the reason. */
export function describeWithEngine(name: string, body: () => void): void {
  const status = engineStatus();
  if (status === 'ok') describe(name, body);
  else describe.skip(`${name} (skipped: ${status})`, body);
}

export interface HostUser {
  name: string;
  uid: number;
  gid: number;
}

const ROOT: HostUser = { name: 'root', uid: 0, gid: 0 };

/**
 * A host user that is neither root nor uid 1000, in the docker group: uid 1001's account, created
 * when missing (as root). Undefined, with the reason, when that is impossible here.
 */
export function otherUser(): HostUser | string {
  const uid = 1001;
  let entry = spawnSync('getent', ['passwd', String(uid)], { encoding: 'utf8' }).stdout.trim();
  if (!entry) {
    if (process.getuid?.() !== 0) return `no user with uid ${uid}, and only root can create one`;
    const made = spawnSync('useradd', ['--uid', String(uid), '--user-group', '--groups', 'docker', '--no-create-home', 'auth-stack-user'], {
      encoding: 'utf8',
    });
    if (made.status !== 0) return `useradd failed: ${made.stderr.trim()}`;
    entry = spawnSync('getent', ['passwd', String(uid)], { encoding: 'utf8' }).stdout.trim();
  }
  const [name, , , gid] = entry.split(':');
  const groups = spawnSync('id', ['-nG', name!], { encoding: 'utf8' }).stdout.split(/\s+/);
  if (!groups.includes('docker')) {
    if (process.getuid?.() !== 0) return `${name} (uid ${uid}) is not in the docker group`;
    spawnSync('usermod', ['-aG', 'docker', name!]);
  }
  return { name: name!, uid, gid: Number(gid) };
}

export const rootUser = (): HostUser | string => (process.getuid?.() === 0 ? ROOT : 'the suite does not run as root');

export interface CommandResult {
  command: string;
  status: number | null;
  /** stdout and stderr together, as the user sees them on the terminal. */
  output: string;
  seconds: number;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Files of the repository as a fresh clone has them (tracked and new, not ignored ones). */
function repositoryFiles(): string[] {
  return spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8' })
    .stdout.split('\n')
    .filter((file) => file && fs.existsSync(path.join(repoRoot, file)));
}

export class Checkout {
  readonly transcript: CommandResult[] = [];
  readonly project: string;
  readonly volume: string;
  /** The WAL archive's volume (ARCHIVE_VOLUME), as unique as the data volume. */
  readonly archiveVolume: string;

  private constructor(
    readonly dir: string,
    readonly user: HostUser,
    readonly ports: { api: number; studio: number },
  ) {
    // docker-compose names the project after the folder (lower case, letters and digits).
    this.project = path
      .basename(dir)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '');
    this.volume = `${this.project}_postgres_data`;
    this.archiveVolume = `${this.project}_postgres_archive`;
  }

  /** A copy of the repository owned by `user` (as if they had cloned it). */
  static async create(user: HostUser, options: { withoutMigrations?: boolean } = {}): Promise<Checkout> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstack'));
    for (const file of repositoryFiles()) {
      if (options.withoutMigrations && file.startsWith('auth-backend/prisma/migrations/')) continue;
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.copyFileSync(path.join(repoRoot, file), path.join(dir, file));
      fs.chmodSync(path.join(dir, file), fs.statSync(path.join(repoRoot, file)).mode);
    }
    fs.chmodSync(dir, 0o755);
    spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
    return new Checkout(dir, user, { api: await freePort(), studio: await freePort() });
  }

  /** `command` typed by the user in the checkout, on a terminal; its output and exit status. */
  run(command: string, options: { timeoutSeconds?: number } = {}): CommandResult {
    const started = Date.now();
    const argv = this.terminal(command);
    const result = spawnSync(argv[0]!, argv.slice(1), {
      cwd: this.dir,
      env: this.env(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: (options.timeoutSeconds ?? 180) * 1000,
    });
    const output = `${result.stdout}${result.stderr}`.replace(/\r/g, '').replace(/^\^@|\x00/g, '');
    const entry = { command, status: result.status, output, seconds: (Date.now() - started) / 1000 };
    this.transcript.push(entry);
    return entry;
  }

  /** Like run, and fails the test with the output unless the command exits 0. */
  ok(command: string, options: { timeoutSeconds?: number } = {}): string {
    const result = this.run(command, options);
    if (result.status !== 0) throw new Error(`\`${command}\` exited ${result.status}:\n${result.output}`);
    return result.output;
  }

  /** A long-running command in the background (Prisma Studio); `stop()` ends it. */
  background(command: string): { output(): string; stop(): Promise<void> } {
    const argv = this.terminal(command);
    const child = spawn(argv[0]!, argv.slice(1), { cwd: this.dir, env: this.env(), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    return {
      output: () => output,
      stop: async () => {
        // Ctrl-C, as the guide says.
        child.stdin.write('\x03');
        const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
        this.transcript.push({ command, status: 0, output: output.replace(/\r/g, ''), seconds: 0 });
      },
    };
  }

  /** argv that runs `command` as the user on a pseudo-terminal the size of a usual window (psql pages otherwise). */
  private terminal(command: string): string[] {
    const asUser = this.user.uid === 0 ? [] : ['runuser', '-u', this.user.name, '--'];
    return [...asUser, 'script', '-qec', `stty rows 50 cols 200; ${command}`, '/dev/null'];
  }

  /**
   * The user's login environment: nothing of the test runner's (no DATABASE_URL). Host ports and
   * the volume name are set here, where compose gives them precedence over .env, so that the
   * checkout's own files stay exactly as the user has them and several stacks never collide.
   */
  private env(): NodeJS.ProcessEnv {
    return {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: os.tmpdir(),
      LANG: 'C.UTF-8',
      TERM: 'dumb',
      HOST_PORT: String(this.ports.api),
      STUDIO_HOST_PORT: String(this.ports.studio),
      POSTGRES_VOLUME: this.volume,
      ARCHIVE_VOLUME: this.archiveVolume,
      ...this.extraEnv,
    };
  }

  /** More variables of the user's environment (e.g. BACKUP_INTERVAL_SECONDS). */
  readonly extraEnv: Record<string, string> = {};

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  /** Writes a file as the user's editor does: a new file renamed over the old one. */
  saveByRename(relative: string, text: string): void {
    const target = this.path(relative);
    const temp = `${target}.~save`;
    fs.writeFileSync(temp, text);
    fs.chownSync(temp, this.user.uid, this.user.gid);
    fs.renameSync(temp, target);
  }

  /** The id of a service's container (docker-compose ps -q), or '' when it has none. */
  containerId(service: string): string {
    return spawnSync('docker-compose', ['ps', '-q', service], { cwd: this.dir, env: this.env(), encoding: 'utf8' }).stdout.trim();
  }

  inspect(service: string): { status: string; health?: string; restartCount: number; exitCode: number } {
    const id = this.containerId(service);
    if (!id) return { status: 'missing', restartCount: 0, exitCode: -1 };
    const raw = spawnSync('docker', ['inspect', '--format', '{{json .State}}|{{.RestartCount}}', id], { encoding: 'utf8' }).stdout.trim();
    const [state, restarts] = raw.split('|');
    const parsed = JSON.parse(state!) as { Status: string; ExitCode: number; Health?: { Status: string } };
    return { status: parsed.Status, health: parsed.Health?.Status, restartCount: Number(restarts), exitCode: parsed.ExitCode };
  }

  /** Waits until `docker-compose ps` shows the backend healthy. */
  async waitForHealthy(timeoutSeconds = 150): Promise<void> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    while (Date.now() < deadline) {
      if (this.inspect('backend').health === 'healthy') return;
      await sleep(1000);
    }
    throw new Error(`backend not healthy after ${timeoutSeconds}s:\n${this.run('docker-compose ps && docker-compose logs --tail 40 backend').output}`);
  }

  /** Waits until the backend has failed its start at least twice (restart loop). */
  async waitForRestartLoop(timeoutSeconds = 120): Promise<void> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    const before = this.inspect('backend').restartCount;
    while (Date.now() < deadline) {
      if (this.inspect('backend').restartCount >= before + 2) return;
      await sleep(2000);
    }
    throw new Error(
      `backend not in a restart loop after ${timeoutSeconds}s:\n${this.run('docker-compose ps && docker-compose logs --tail 40 backend').output}`,
    );
  }

  /** psql in the db container, one value per line. */
  sql(query: string): string {
    return this.ok(`docker-compose exec -T db psql -U postgres -d auth_service -tAc '${query.replace(/'/g, `'\\''`)}'`).trim();
  }

  api(pathname: string, init?: RequestInit): Promise<Response> {
    return fetch(`http://127.0.0.1:${this.ports.api}${pathname}`, init);
  }

  /** Volumes that `scripts/restore.sh --to-time` set aside (the replaced data), oldest first. */
  replacedVolumes(): string[] {
    return spawnSync('docker', ['volume', 'ls', '-q', '--filter', `name=^${this.volume}_replaced_`], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .sort();
  }

  /** Removes the containers, the volume and the copy, whatever state the test left them in. */
  destroy(): void {
    spawnSync('docker-compose', ['--profile', 'backup', 'down', '-v', '--remove-orphans', '-t', '5'], { cwd: this.dir, env: this.env(), encoding: 'utf8' });
    spawnSync('docker', ['volume', 'rm', '-f', this.volume, this.archiveVolume, ...this.replacedVolumes()], { encoding: 'utf8' });
    // Only ever the checkout this object made.
    if (path.dirname(this.dir) === os.tmpdir() && path.basename(this.dir).startsWith('authstack')) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Warnings Prisma must not print anywhere an operator looks (issue: noise on every command). */
export const PRISMA_NOISE = /Prisma failed to detect the libssl|install OpenSSL|will NOT be used|Update available|Hardcoding URLs/i;
