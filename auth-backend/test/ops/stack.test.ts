/**
 * docker/stack.yml and scripts/stack-secrets.sh as files: what docs/operations.md promises of them
 * ("Running many replicas"). The stack itself runs in test/container/swarm-rollout.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const root = path.resolve(__dirname, '../../..');
const stack = parse(fs.readFileSync(path.join(root, 'docker/stack.yml'), 'utf8')) as Doc;

describe('docker/stack.yml', () => {
  it('uses DNS round robin for every service (no routing mesh, no VIP: they need IPVS)', () => {
    expect(Object.keys(stack.services).sort()).toEqual(['backend', 'db', 'lb']);
    for (const service of Object.values(stack.services) as Doc[]) expect(service.deploy.endpoint_mode).toBe('dnsrr');
  });

  it('rolls the backend one replica at a time, new before old, rolling back by itself', () => {
    const { deploy } = stack.services.backend;
    expect(deploy.replicas).toBe('${BACKEND_REPLICAS:-3}');
    expect(deploy.update_config).toMatchObject({ parallelism: 1, order: 'start-first', failure_action: 'rollback' });
  });

  it("checks the backend's liveness (/health), never readiness, and runs migrations strictly checked", () => {
    const backend = stack.services.backend;
    expect(backend.healthcheck.test.join(' ')).toMatch(/\/health/);
    expect(backend.healthcheck.test.join(' ')).not.toMatch(/\/ready/);
    expect(backend.environment.MIGRATION_SAFETY).toBe('${MIGRATION_SAFETY:-strict}');
    expect(Number(backend.stop_grace_period.replace('s', ''))).toBeGreaterThan(5 + Number(backend.environment.SHUTDOWN_TIMEOUT));
  });

  it('reads every secret from a Docker secret file', () => {
    const backend = stack.services.backend;
    for (const name of ['JWT_SECRET', 'PASSWORD_PEPPER', 'KEY_ENCRYPTION_KEY', 'SMTP_URL', 'DATABASE_PASSWORD']) {
      expect(backend.environment[`${name}_FILE`]).toMatch(/^\/run\/secrets\//);
      expect(backend.environment[name]).toBeUndefined();
    }
    expect(stack.services.db.environment.POSTGRES_PASSWORD_FILE).toBe('/run/secrets/db_password');
    for (const secret of Object.values(stack.secrets) as Doc[]) expect(secret).toMatchObject({ external: true });
  });

  it('pins the database to one node and publishes HOST_PORT from its own balancer in host mode', () => {
    expect(stack.services.db.deploy.placement.constraints).toEqual(['node.labels.auth-db == true']);
    expect(stack.services.db.volumes).toEqual(['db_data:/var/lib/postgresql/data']);
    expect(stack.services.backend.ports).toBeUndefined();
    expect(stack.services.lb.ports).toEqual([{ target: 3000, published: '${HOST_PORT:-3000}', protocol: 'tcp', mode: 'host' }]);
  });
});

describe('docker/lb/haproxy.cfg', () => {
  const cfg = fs.readFileSync(path.join(root, 'docker/lb/haproxy.cfg'), 'utf8');
  it('finds the tasks by DNS through Docker resolver, routes on GET /ready every second, retries only connection failures', () => {
    expect(cfg).toMatch(/nameserver dns 127\.0\.0\.11:53/);
    expect(cfg).toMatch(/server-template replica "\$\{BACKEND_SLOTS\}" "\$\{BACKEND_TASKS\}:\$\{BACKEND_PORT\}"/);
    expect(cfg).toMatch(/http-check send meth GET uri \/ready/);
    expect(cfg).toMatch(/default-server check inter 1s /);
    expect(cfg.match(/^\s*retry-on .*$/gm)).toEqual(['    retry-on conn-failure']);
  });
});

describe('scripts/stack-secrets.sh', () => {
  it('answers --help with its usage and options', () => {
    const result = spawnSync(path.join(root, 'scripts/stack-secrets.sh'), ['--help'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^usage: scripts\/stack-secrets\.sh \[--prefix NAME\]/);
    expect(result.stdout).toMatch(/--prefix NAME/);
    expect(result.stdout).toMatch(/never|left exactly as it is/);
  });
});
