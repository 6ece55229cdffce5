/**
 * docker/stack.ha.yml, its images' configuration and scripts/db-cluster.sh as files: what docs/operations.md
 * promises of them ("A database that survives losing a node"). The cluster itself runs in
 * test/container/ha-failover.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { translateDatabaseError } from '../../src/db/database-errors';
import { ERRORS } from '../../src/errors';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const root = path.resolve(__dirname, '../../..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
// The overlay shares its members' settings through YAML anchors and merge keys, as compose reads them.
const overlay = parse(read('docker/stack.ha.yml'), { merge: true }) as Doc;
const members = ['pg1', 'pg2', 'pg3'];

describe('docker/stack.ha.yml', () => {
  it('adds three etcd and three PostgreSQL members and the primary balancer, and scales the single db to 0', () => {
    expect(Object.keys(overlay.services).sort()).toEqual(['backend', 'db', 'dblb', 'etcd1', 'etcd2', 'etcd3', 'pg1', 'pg2', 'pg3']);
    expect(overlay.services.db.deploy.replicas).toBe(0);
    expect(overlay.services.backend.environment.DATABASE_URL).toBe('postgresql://postgres@dblb:5432/auth_service');
    for (const name of ['etcd1', 'etcd2', 'etcd3', ...members, 'dblb']) {
      expect(overlay.services[name].deploy).toMatchObject({ endpoint_mode: 'dnsrr', replicas: 1 });
    }
  });

  it('gives each member its own volume and its own placement label key (one node can carry all three)', () => {
    const constraints = members.map((name) => overlay.services[name].deploy.placement.constraints);
    expect(constraints).toEqual([['node.labels.auth-ha-1 == true'], ['node.labels.auth-ha-2 == true'], ['node.labels.auth-ha-3 == true']]);
    expect(members.map((name) => overlay.services[name].volumes[0])).toEqual([
      'pg1_data:/var/lib/postgresql/ha',
      'pg2_data:/var/lib/postgresql/ha',
      'pg3_data:/var/lib/postgresql/ha',
    ]);
    for (const name of members) expect(overlay.services[name].environment.PATRONI_NAME).toBe(name);
  });

  it("restarts a killed member only after the leader key's TTL, and reads its passwords from Docker secrets", () => {
    const ttl = Number(/PATRONI_TTL:=(\d+)/.exec(read('docker/db-ha/ha-entrypoint.sh'))?.[1]);
    for (const name of members) {
      const service = overlay.services[name];
      expect(Number(service.deploy.restart_policy.delay.replace('s', ''))).toBeGreaterThan(ttl);
      expect(service.environment).toMatchObject({
        POSTGRES_PASSWORD_FILE: '/run/secrets/db_password',
        REPLICATION_PASSWORD_FILE: '/run/secrets/db_replication_password',
      });
    }
    expect(overlay.secrets.db_replication_password).toMatchObject({ external: true });
  });

  it('runs Patroni in synchronous mode (not strict), over etcd3, with fast base backups and pg_rewind', () => {
    const entrypoint = read('docker/db-ha/ha-entrypoint.sh');
    expect(entrypoint).toMatch(/^ {4}synchronous_mode: true$/m);
    expect(entrypoint).toMatch(/^ {4}synchronous_mode_strict: false$/m);
    expect(entrypoint).toMatch(/^etcd3:$/m);
    expect(entrypoint).toMatch(/- checkpoint: fast/);
    expect(entrypoint).toMatch(/use_pg_rewind: true/);
    expect(entrypoint).toMatch(/exec gosu postgres/);
  });

  it('closes the archive gap before a promotion and carries the Patroni 3.0.2 fix for a lost synchronous standby', () => {
    // A local (not dcs) setting, so that it holds for clusters bootstrapped before it existed.
    expect(read('docker/db-ha/ha-entrypoint.sh')).toMatch(/^ {2}pre_promote: \/usr\/local\/bin\/ha-pre-promote$/m);
    const dockerfile = read('docker/db-ha/Dockerfile');
    expect(dockerfile).toMatch(/^COPY pre-promote\.sh \/usr\/local\/bin\/ha-pre-promote$/m);
    expect(dockerfile).toMatch(/^RUN python3 \/tmp\/patroni-stale-sync-fix\.py /m);
    // It never fails (Patroni would cancel the promotion).
    expect(read('docker/db-ha/pre-promote.sh')).toMatch(/^main\nexit 0\n$/m);
  });

  it('routes to the member whose Patroni API answers /primary, checked every second, cutting the sessions of one that stops', () => {
    const cfg = read('docker/lb/haproxy-postgres.cfg');
    expect(cfg).toMatch(/http-check send meth OPTIONS uri \/primary/);
    expect(cfg).toMatch(/default-server check port 8008 inter 1s .*on-marked-down shutdown-sessions .*init-addr none resolvers docker/);
    expect(cfg.match(/^\s*server member\d .*$/gm)).toHaveLength(3);
  });
});

describe("the stack balancer's own 503", () => {
  it("is the service's problem body for database_unavailable, not an HTML page", () => {
    const raw = read('docker/lb/errors/503.http');
    const [head, body] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 503 /);
    expect(head).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/);
    expect(head).toMatch(/\r\nRetry-After: 5\r\n/);
    const error = translateDatabaseError(Object.assign(new Error('x'), { code: '57P01' }))!;
    expect(JSON.parse(body!)).toEqual({
      type: 'about:blank',
      title: ERRORS.database_unavailable.title,
      status: 503,
      detail: error.detail,
      code: 'database_unavailable',
    });
    expect(read('docker/lb/haproxy.cfg')).toMatch(/errorfile 503 \/usr\/local\/etc\/haproxy\/errors\/503\.http/);
  });
});

describe('scripts/db-cluster.sh', () => {
  const run = (...args: string[]) => spawnSync(path.join(root, 'scripts/db-cluster.sh'), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  it('answers --help with its commands and options', () => {
    const result = run('--help');
    expect(result.status).toBe(0);
    for (const text of ['status', 'switchover', '--stack NAME', '--to MEMBER', 'Never', 'synchronous standby']) expect(result.stdout).toContain(text);
  });

  it('refuses unknown commands and arguments (exit code 2) before touching anything', () => {
    expect(run('promote').status).toBe(2);
    expect(run('status', '--force').status).toBe(2);
    expect(run('status', '--to', 'pg2').status).toBe(2);
  });
});
