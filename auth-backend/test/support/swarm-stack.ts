/**
 * docker/stack.yml in a real swarm, deployed as docs/operations.md says ("Running many replicas"), under
 * a unique name with its own secrets, images and host port. The engine becomes a swarm node only for
 * the test's duration when it was not one before; everything created is removed at the end.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot, sleep } from './compose-stack';

export interface Migration {
  name: string;
  sql: string;
}

export interface Task {
  container: string;
  image: string;
  health: string;
}

const DB_LABEL = 'auth-db';

export function docker(
  args: string[],
  options: { timeoutSeconds?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): { status: number | null; output: string } {
  const result = spawnSync('docker', args, {
    encoding: 'utf8',
    timeout: (options.timeoutSeconds ?? 120) * 1000,
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

export function ok(args: string[], options: Parameters<typeof docker>[1] = {}): string {
  const result = docker(args, options);
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} exited ${result.status}:\n${result.output}`);
  return result.output;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** auth-backend's files as a fresh clone has them, copied to `dir`. */
function copyBackend(dir: string): void {
  const files = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'auth-backend'], { cwd: repoRoot, encoding: 'utf8' })
    .stdout.split('\n')
    .filter((file) => file && fs.existsSync(path.join(repoRoot, file)));
  for (const file of files) {
    const target = path.join(dir, path.relative('auth-backend', file));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(path.join(repoRoot, file), target);
  }
}

export class SwarmStack {
  readonly name = `authtest${crypto.randomBytes(4).toString('hex')}`;
  readonly images = { lb: `${this.name}-lb:1`, v1: `${this.name}-backend:1`, v2: `${this.name}-backend:2`, v3: `${this.name}-backend:3` };
  private joinedSwarm = false;
  private labelledNode = false;
  private secretsCreated = false;
  private deployed = false;
  private readonly built: string[] = [];

  private constructor(readonly port: number) {}

  static async create(): Promise<SwarmStack> {
    return new SwarmStack(await freePort());
  }

  get backendService(): string {
    return `${this.name}_backend`;
  }

  /** `docker swarm init` when the engine is in no swarm; the database's node label when missing. */
  prepareSwarm(): void {
    const state = ok(['info', '--format', '{{.Swarm.LocalNodeState}}']);
    if (state === 'inactive') {
      ok(['swarm', 'init']);
      this.joinedSwarm = true;
    } else if (state !== 'active') {
      throw new Error(`the engine's swarm state is ${state}`);
    }
    const node = ok(['info', '--format', '{{.Swarm.NodeID}}']);
    const labels = ok(['node', 'inspect', node, '--format', '{{json .Spec.Labels}}']);
    if (!(JSON.parse(labels) as Record<string, string> | null)?.[DB_LABEL]) {
      ok(['node', 'update', '--label-add', `${DB_LABEL}=true`, node]);
      this.labelledNode = true;
    }
  }

  /**
   * The balancer, version 1 (the code under test), version 2 (the same plus `v2`) and version 3
   * (version 2 plus `v3`).
   */
  buildImages(migrations: { v2: Migration; v3: Migration }): void {
    ok(['build', '--quiet', '--tag', this.images.lb, path.join(repoRoot, 'docker/lb')], { timeoutSeconds: 600 });
    this.built.push(this.images.lb);
    ok(['build', '--quiet', '--tag', this.images.v1, path.join(repoRoot, 'auth-backend')], { timeoutSeconds: 900 });
    this.built.push(this.images.v1);
    this.buildWith(this.images.v2, [migrations.v2]);
    this.buildWith(this.images.v3, [migrations.v2, migrations.v3]);
  }

  private buildWith(tag: string, migrations: Migration[]): void {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'authbuild'));
    try {
      copyBackend(copy);
      for (const migration of migrations) {
        fs.mkdirSync(path.join(copy, 'prisma/migrations', migration.name), { recursive: true });
        fs.writeFileSync(path.join(copy, 'prisma/migrations', migration.name, 'migration.sql'), migration.sql);
      }
      ok(['build', '--quiet', '--tag', tag, copy], { timeoutSeconds: 900 });
      this.built.push(tag);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  }

  /** scripts/stack-secrets.sh with this stack's prefix; its output. */
  createSecrets(): string {
    const result = spawnSync(path.join(repoRoot, 'scripts/stack-secrets.sh'), ['--prefix', this.name], { encoding: 'utf8', cwd: repoRoot });
    this.secretsCreated = true;
    if (result.status !== 0) throw new Error(`stack-secrets.sh exited ${result.status}:\n${result.stdout}${result.stderr}`);
    return result.stdout;
  }

  /** `docker stack deploy` of docker/stack.yml with AUTH_IMAGE=`image`. */
  deploy(image: string, env: Record<string, string> = {}): string {
    this.deployed = true;
    return ok(['stack', 'deploy', '--detach=true', '-c', 'docker/stack.yml', this.name], {
      cwd: repoRoot,
      env: {
        ...process.env,
        AUTH_IMAGE: image,
        LB_IMAGE: this.images.lb,
        HOST_PORT: String(this.port),
        SECRETS_PREFIX: this.name,
        BACKEND_REPLICAS: '3',
        ...env,
      },
    });
  }

  /** The backend's running containers, with their image and health. */
  tasks(): Task[] {
    const ids = ok(['ps', '--filter', `label=com.docker.swarm.service.name=${this.backendService}`, '--format', '{{.ID}}'])
      .split('\n')
      .filter(Boolean);
    return ids.flatMap((id) => {
      const inspected = docker(['inspect', id, '--format', '{{.Config.Image}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}|{{.State.Status}}']);
      if (inspected.status !== 0) return [];
      const [image, health, status] = inspected.output.split('|');
      return status === 'running' ? [{ container: id, image: image!.split('@')[0]!, health: health! }] : [];
    });
  }

  /** Swarm's view of the backend service's last update: updating, completed, rollback_completed... */
  updateState(): string {
    return ok(['service', 'inspect', this.backendService, '--format', '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}']);
  }

  /** Every task the backend service has had, with swarm's reason for ending it: what a failure report needs. */
  taskHistory(): string {
    return docker(['service', 'ps', '--no-trunc', '--format', '{{.Name}} {{.DesiredState}} {{.CurrentState}} {{.Error}}', this.backendService]).output;
  }

  serviceLogs(service: string, tail = 2000): string {
    return docker(['service', 'logs', '--raw', '--tail', String(tail), `${this.name}_${service}`], { timeoutSeconds: 60 }).output;
  }

  /**
   * The whole logs of every container of a service's tasks on this node, running or exited (not yet
   * removed), read from each container: `docker service logs` gathers them through the swarm with a
   * lag and, under load, sometimes without the lines of a task at all.
   */
  containerLogs(service: string): string {
    const ids = ok(['ps', '-a', '--filter', `label=com.docker.swarm.service.name=${this.name}_${service}`, '--format', '{{.ID}}'])
      .split('\n')
      .filter(Boolean);
    return ids.map((id) => docker(['logs', id], { timeoutSeconds: 60 }).output).join('\n');
  }

  dbContainer(): string {
    return ok(['ps', '--filter', `label=com.docker.swarm.service.name=${this.name}_db`, '--format', '{{.ID}}']).split('\n')[0] ?? '';
  }

  sql(query: string): string {
    return ok(['exec', this.dbContainer(), 'psql', '-U', 'postgres', '-d', 'auth_service', '-tAc', query]);
  }

  /** Restarts the database as an operator would: `docker service update --force` (a new task, same volume). */
  restartDatabase(): void {
    ok(['service', 'update', '--detach', '--force', `${this.name}_db`]);
  }

  /** GET `pathname` inside a backend container, from the container itself: its status code. */
  statusInside(container: string, pathname: string): number {
    const result = docker([
      'exec',
      container,
      'node',
      '-e',
      `fetch('http://127.0.0.1:3000${pathname}').then((r) => console.log(r.status), () => console.log(0))`,
    ]);
    return Number(result.output.trim().split('\n').pop());
  }

  waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutSeconds: number): Promise<number> {
    return waitForStack(this.name, what, check, timeoutSeconds);
  }

  ready(): Promise<boolean> {
    return stackReady(this.port);
  }

  /** Removes the stack, its volume, secrets and images, the node label and the swarm it made. */
  async destroy(): Promise<void> {
    if (this.deployed) {
      await removeStack(this.name, ['db_data']);
    }
    if (this.secretsCreated) {
      for (const secret of ['jwt_secret', 'password_pepper', 'key_encryption_key', 'db_password', 'smtp_url'])
        docker(['secret', 'rm', `${this.name}_${secret}`]);
    }
    for (const image of this.built) docker(['rmi', image]);
    if (this.labelledNode) docker(['node', 'update', '--label-rm', DB_LABEL, ok(['info', '--format', '{{.Swarm.NodeID}}'])]);
    if (this.joinedSwarm) docker(['swarm', 'leave', '--force']);
  }
}

/** Polls `check` each second until it holds: the seconds it took; else an error with the stack's tasks. */
export async function waitForStack(stack: string, what: string, check: () => boolean | Promise<boolean>, timeoutSeconds: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutSeconds * 1000) {
    if (await check()) return (Date.now() - started) / 1000;
    await sleep(1000);
  }
  throw new Error(`${what}: not after ${timeoutSeconds}s\n${docker(['stack', 'ps', '--no-trunc', stack]).output}`);
}

/** Whether the stack's balancer on `port` answers GET /ready with 200. */
export async function stackReady(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(3000) });
    return response.status === 200;
  } catch {
    return false;
  }
}

/** `docker stack rm`, then waits for its containers and networks to go, then removes its named volumes (retrying while still in use). */
export async function removeStack(stack: string, volumes: readonly string[]): Promise<void> {
  docker(['stack', 'rm', stack]);
  const gone = () =>
    docker(['ps', '-aq', '--filter', `label=com.docker.stack.namespace=${stack}`]).output === '' &&
    docker(['network', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${stack}`]).output === '';
  for (let i = 0; i < 90 && !gone(); i++) await sleep(1000);
  for (const volume of volumes) {
    for (let i = 0; i < 10 && docker(['volume', 'inspect', `${stack}_${volume}`]).status === 0; i++) {
      if (docker(['volume', 'rm', `${stack}_${volume}`]).status === 0) break;
      await sleep(1000);
    }
  }
}
