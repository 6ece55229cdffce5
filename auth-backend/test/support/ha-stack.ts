/**
 * docker/stack.yml with the HA database overlay (docker/stack.ha.yml) in a real one-node swarm, deployed as
 * docs/operations.md says ("A database that survives losing a node"), under a unique name with its own
 * secrets, images, volumes and host port. Everything it created is removed by destroy(), which is safe to
 * call after any failure: the stack, its seven volumes, six secrets, four images, the node labels it added
 * and the swarm when it made one.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot } from './compose-stack';
import { docker, freePort, ok, removeStack, stackReady, waitForStack } from './swarm-stack';

const LABELS = ['auth-ha-1', 'auth-ha-2', 'auth-ha-3'];
const MEMBERS = ['pg1', 'pg2', 'pg3'] as const;
const VOLUMES = ['etcd1_data', 'etcd2_data', 'etcd3_data', 'pg1_data', 'pg2_data', 'pg3_data', 'pg_archive'];
const SECRETS = ['jwt_secret', 'password_pepper', 'key_encryption_key', 'db_password', 'smtp_url', 'db_replication_password'];

export interface Member {
  name: string;
  role: string;
  state: string;
  timeline?: number;
}

export class HaStack {
  readonly name = `authha${crypto.randomBytes(4).toString('hex')}`;
  readonly images = { lb: `${this.name}-lb:1`, backend: `${this.name}-backend:1`, db: `${this.name}-db-ha:1`, etcd: `${this.name}-etcd:1` };
  private joinedSwarm = false;
  private readonly labelsAdded: string[] = [];
  private secretsCreated = false;
  private deployed = false;
  private readonly built: string[] = [];
  /** When each member was lost (lose()). */
  private readonly lostAt = new Map<string, number>();

  private constructor(readonly port: number) {}

  static async create(): Promise<HaStack> {
    return new HaStack(await freePort());
  }

  /** `docker swarm init` when the engine is in no swarm; the three placement labels where missing. */
  prepareSwarm(): void {
    const state = ok(['info', '--format', '{{.Swarm.LocalNodeState}}']);
    if (state === 'inactive') {
      ok(['swarm', 'init']);
      this.joinedSwarm = true;
    } else if (state !== 'active') {
      throw new Error(`the engine's swarm state is ${state}`);
    }
    const node = ok(['info', '--format', '{{.Swarm.NodeID}}']);
    const labels = (JSON.parse(ok(['node', 'inspect', node, '--format', '{{json .Spec.Labels}}'])) as Record<string, string> | null) ?? {};
    for (const label of LABELS.filter((key) => !labels[key])) {
      ok(['node', 'update', '--label-add', `${label}=true`, node]);
      this.labelsAdded.push(label);
    }
  }

  buildImages(): void {
    for (const [tag, context] of [
      [this.images.lb, 'docker/lb'],
      [this.images.etcd, 'docker/etcd'],
      [this.images.db, 'docker/db-ha'],
      [this.images.backend, 'auth-backend'],
    ] as const) {
      ok(['build', '--quiet', '--tag', tag, path.join(repoRoot, context)], { timeoutSeconds: 900 });
      this.built.push(tag);
    }
  }

  /** scripts/stack-secrets.sh --ha with this stack's prefix; its output. */
  createSecrets(): string {
    this.secretsCreated = true;
    return this.script('stack-secrets.sh', ['--prefix', this.name, '--ha']).output;
  }

  /** `docker stack deploy -c docker/stack.yml -c docker/stack.ha.yml`. */
  deploy(env: Record<string, string> = {}): string {
    this.deployed = true;
    return ok(['stack', 'deploy', '--detach=true', '-c', 'docker/stack.yml', '-c', 'docker/stack.ha.yml', this.name], {
      cwd: repoRoot,
      env: {
        ...process.env,
        AUTH_IMAGE: this.images.backend,
        LB_IMAGE: this.images.lb,
        DB_HA_IMAGE: this.images.db,
        ETCD_IMAGE: this.images.etcd,
        HOST_PORT: String(this.port),
        SECRETS_PREFIX: this.name,
        ...env,
      },
    });
  }

  /** A script of scripts/ run from the repository: its exit status and output. */
  script(name: string, args: string[], timeoutSeconds = 300): { status: number | null; output: string } {
    const result = spawnSync(path.join(repoRoot, 'scripts', name), args, {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: timeoutSeconds * 1000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
  }

  /** The running container of a service of the stack ('' when none). */
  container(service: string): string {
    return docker(['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${this.name}_${service}`]).output.split('\n')[0] ?? '';
  }

  /** Patroni's view (patronictl list, in any running member); [] when no member answers. */
  members(): Member[] {
    for (const member of MEMBERS) {
      const container = this.container(member);
      if (!container) continue;
      const listed = docker(['exec', container, 'patronictl', 'list', '-f', 'json'], { timeoutSeconds: 20 });
      if (listed.status !== 0) continue;
      try {
        const rows = JSON.parse(listed.output) as Array<{ Member: string; Role: string; State: string; TL?: number }>;
        return rows.map((row) => ({ name: row.Member, role: row.Role, state: row.State, timeline: row.TL }));
      } catch {
        continue;
      }
    }
    return [];
  }

  leader(): Member | undefined {
    return this.members().find((member) => member.role === 'Leader' && member.state === 'running');
  }

  /** psql in the leader's container (local socket) on the service's database. */
  sql(query: string): string {
    const leader = this.leader();
    if (!leader) throw new Error('no leader');
    return ok(['exec', '-u', 'postgres', this.container(leader.name), 'psql', '-X', '-d', 'auth_service', '-tAc', query]);
  }

  /** A command as postgres in a member's container: its status and output. */
  exec(member: string, command: string[], timeoutSeconds = 300): { status: number | null; output: string } {
    return docker(['exec', '-u', 'postgres', this.container(member), ...command], { timeoutSeconds });
  }

  /**
   * A member lost as a node is lost: its container killed (no clean shutdown, no hand-over) and its service
   * scaled to 0 at once, so that swarm does not restart it.
   */
  lose(service: string): void {
    const container = this.container(service);
    if (container) docker(['kill', container]);
    this.lostAt.set(service, Date.now());
    ok(['service', 'scale', '--detach', `${this.name}_${service}=0`]);
  }

  /**
   * Makes sure lost members stay lost: swarm restarts a killed task after the service's restart delay (1 s
   * for etcd), and under load that restart can win the race with the scale to 0 and keep running (seen in
   * CI: etcd3 back within seconds, so etcd never lost its majority). Until the restart delay and a margin
   * have passed since each loss, any container of the service is killed again and the scale repeated.
   * Resolves with how many such restarts were killed.
   */
  async keepLost(services: string[], marginSeconds = 3): Promise<number> {
    const until = new Map(
      services.map((service) => [service, (this.lostAt.get(service) ?? Date.now()) + (this.restartDelayMs(service) + marginSeconds * 1000)]),
    );
    let killed = 0;
    while ([...until.values()].some((deadline) => Date.now() < deadline)) {
      for (const service of services) {
        const container = this.container(service);
        if (!container) continue;
        docker(['kill', container]);
        ok(['service', 'scale', '--detach', `${this.name}_${service}=0`]);
        until.set(service, Date.now() + this.restartDelayMs(service) + marginSeconds * 1000);
        killed += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return killed;
  }

  /** The service's restart delay (its restart_policy's delay, in ns as JSON; swarm's 5 s when it has none). */
  private restartDelayMs(service: string): number {
    const delay = ok(['service', 'inspect', '--format', '{{json .Spec.TaskTemplate.RestartPolicy.Delay}}', `${this.name}_${service}`]).trim();
    return /^\d+$/.test(delay) ? Number(delay) / 1e6 : 5000;
  }

  /** A lost member's node back: its service scaled to 1 again (same volume). */
  restore(service: string): void {
    ok(['service', 'scale', '--detach', `${this.name}_${service}=1`]);
  }

  /** What the leader's PostgreSQL waits for at commit ('' when nothing: it commits alone). */
  synchronousStandbyNames(leader: string): string {
    return this.psql(leader, 'SHOW synchronous_standby_names');
  }

  /** psql as postgres in a member's container, on the database postgres: its output, or throws. */
  psql(member: string, query: string): string {
    const result = this.exec(member, ['psql', '-X', '-v', 'ON_ERROR_STOP=1', '-d', 'postgres', '-tAc', query], 30);
    if (result.status !== 0) throw new Error(`psql in ${member} (${query}): ${result.output}`);
    return result.output.trim();
  }

  /** The WAL segments in the shared pgBackRest repository (names, of every timeline), listed from a member. */
  archivedSegments(member: string): string[] {
    const listed = this.exec(member, ['pgbackrest', '--stanza=auth', '--log-level-console=warn', 'repo-ls', '--recurse', 'archive/auth'], 60);
    if (listed.status !== 0) throw new Error(`pgbackrest repo-ls in ${member}: ${listed.output}`);
    return [...listed.output.matchAll(/\/([0-9A-F]{24})-[0-9a-f]{40}/g)].map((match) => match[1] ?? '');
  }

  /** The first WAL segment the newest base backup needs. */
  newestBackupStart(member: string): string {
    const info = this.exec(member, ['pgbackrest', '--stanza=auth', '--log-level-console=warn', '--output=json', 'info'], 60);
    if (info.status !== 0) throw new Error(`pgbackrest info in ${member}: ${info.output}`);
    const [stanza] = JSON.parse(info.output) as Array<{ backup: Array<{ archive: { start: string } }> }>;
    const newest = stanza?.backup[stanza.backup.length - 1];
    if (!newest) throw new Error(`no base backup in the repository:\n${info.output}`);
    return newest.archive.start;
  }

  serviceLogs(service: string, tail = 200): string {
    return docker(['service', 'logs', '--raw', '--tail', String(tail), `${this.name}_${service}`], { timeoutSeconds: 60 }).output;
  }

  waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutSeconds: number): Promise<number> {
    return waitForStack(this.name, what, check, timeoutSeconds);
  }

  ready(): Promise<boolean> {
    return stackReady(this.port);
  }

  async destroy(): Promise<void> {
    if (this.deployed) {
      await removeStack(this.name, VOLUMES);
    }
    if (this.secretsCreated) for (const secret of SECRETS) docker(['secret', 'rm', `${this.name}_${secret}`]);
    for (const image of this.built) docker(['rmi', image]);
    const node = docker(['info', '--format', '{{.Swarm.NodeID}}']).output;
    for (const label of this.labelsAdded) docker(['node', 'update', '--label-rm', label, node]);
    if (this.joinedSwarm) docker(['swarm', 'leave', '--force']);
  }
}
