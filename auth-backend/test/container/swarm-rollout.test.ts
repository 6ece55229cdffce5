/**
 * docs/operations.md, "Running many replicas", in a real swarm: docker/stack.yml with 3 replicas
 * behind the stack's own balancer, under continuous traffic from the host through HOST_PORT
 * (register, login, /auth/me, refresh; kept-alive and fresh connections):
 * - a rolling update to a version with one more (additive) migration answers no 5xx and no
 *   connection error, applies the migration once and leaves every replica on the new version;
 * - an update whose migration drops a column is refused (MIGRATION_SAFETY=strict, exit code 7) and
 *   rolled back by swarm, with no 5xx and no connection error either;
 * - SIGKILL of one replica's container costs at most the requests it had in flight, and swarm
 *   replaces it within 60 s;
 * - a database restart gives 503s and nothing else, and every replica recovers without a restart.
 * Counts are written to stderr (docs/operations.md quotes them).
 */
import { execFileSync } from 'node:child_process';
import { describeWithEngine, sleep } from '../support/compose-stack';
import { SwarmStack } from '../support/swarm-stack';
import { Traffic, summarize, type TrafficSummary } from '../support/traffic';

const MIGRATION = {
  name: '20990101000000_add_user_nickname',
  sql: '-- Version 2 of the rollout test: an additive change, safe while version 1 still runs.\nALTER TABLE "user" ADD COLUMN "nickname" TEXT;\n',
};
// Version 3 drops what version 2 added, with no `-- contract:` comment: MIGRATION_SAFETY=strict refuses it.
const DROP = {
  name: '20990102000000_drop_user_nickname',
  sql: '-- Version 3 of the rollout test: breaks version 2, which is still running.\nALTER TABLE "user" DROP COLUMN "nickname";\n',
};
// Cheap hashes and no per-IP limit: the traffic is the load, not the subject.
const ENV = { BCRYPT_COST: '10', THROTTLE_IP_MAX: '100000' };
const WORKERS = 6;

const report = (label: string, summary: TrafficSummary, extra: Record<string, unknown> = {}) =>
  process.stderr.write(`swarm ${label}: ${JSON.stringify({ ...summary, ...extra })}\n`);

describeWithEngine('docker/stack.yml on Docker Swarm (docs/operations.md, "Running many replicas")', () => {
  let stack: SwarmStack;

  beforeAll(async () => {
    stack = await SwarmStack.create();
    stack.prepareSwarm();
    const started = Date.now();
    stack.buildImages({ v2: MIGRATION, v3: DROP });
    process.stderr.write(`swarm: images built in ${Math.round((Date.now() - started) / 1000)}s\n`);
    expect(stack.createSecrets()).toMatch(/secrets: 5 created, 0 kept/);
    // Never replaces a secret that exists.
    expect(stack.createSecrets()).toMatch(/secrets: 0 created, 5 kept/);
    stack.deploy(stack.images.v1, ENV);
    await stack.waitFor(
      'version 1: 3 healthy replicas behind the balancer',
      async () => stack.tasks().filter((task) => task.health === 'healthy').length === 3 && (await stack.ready()),
      240,
    );
  }, 1_800_000);

  afterAll(async () => {
    await stack?.destroy();
  }, 300_000);

  it('rolls out version 2 with a new migration under traffic: no 5xx, no connection error, migrated once, every replica on version 2', async () => {
    const traffic = new Traffic(stack.port, { workers: WORKERS, tag: `rollout.${stack.name}` });
    await sleep(3000);
    const deployedAt = Date.now();
    stack.deploy(stack.images.v2, ENV);
    const seconds = await stack.waitFor(
      'the rolling update',
      () => {
        const state = stack.updateState();
        if (state.startsWith('rollback')) throw new Error(`the update rolled back:\n${stack.serviceLogs('backend', 100)}`);
        const tasks = stack.tasks();
        return state === 'completed' && tasks.length === 3 && tasks.every((task) => task.image === stack.images.v2 && task.health === 'healthy');
      },
      420,
    );
    await sleep(3000);
    const summary = await traffic.stop();
    const during = summarize(traffic.log.filter((entry) => entry.startedAt >= deployedAt && entry.startedAt <= deployedAt + seconds * 1000));
    report('rollout', summary, { rolloutSeconds: seconds, requestsDuringRollout: during.requests });

    expect(summary.outcomes).toEqual(Object.fromEntries(Object.keys(summary.outcomes).map((key) => [key, expect.any(Number)])));
    expect({ status5xx: summary.status5xx, connectionErrors: summary.connectionErrors }).toEqual({ status5xx: 0, connectionErrors: 0 });
    expect(during.requests).toBeGreaterThan(100);
    expect(Object.keys(summary.byRoute).sort()).toEqual(['GET /auth/me', 'POST /auth/login', 'POST /auth/refresh', 'POST /auth/register']);
    expect(summary.keepAlive).toBeGreaterThan(0);
    expect(summary.fresh).toBeGreaterThan(0);

    expect(stack.sql(`SELECT count(*) FROM _prisma_migrations WHERE migration_name = '${MIGRATION.name}'`)).toBe('1');
    expect(
      stack.sql(`SELECT count(*) FROM _prisma_migrations WHERE migration_name = '${MIGRATION.name}' AND finished_at IS NOT NULL AND rolled_back_at IS NULL`),
    ).toBe('1');
    expect(stack.sql(`SELECT count(*) FROM information_schema.columns WHERE table_name = 'user' AND column_name = 'nickname'`)).toBe('1');
    // Read from each task's container: the swarm's gathered logs lag under load and once missed the line altogether.
    const applied = () => stack.containerLogs('backend').match(/schema: applied 1 migration\(s\)/g) ?? [];
    await stack.waitFor('the log line of the migration', () => applied().length > 0, 60).catch(() => undefined);
    expect(applied()).toHaveLength(1);
    expect(stack.tasks().map((task) => task.image)).toEqual([stack.images.v2, stack.images.v2, stack.images.v2]);
  }, 600_000);

  it('refuses version 3, whose migration drops a column, and rolls back by itself: no 5xx, no connection error, nothing dropped', async () => {
    const traffic = new Traffic(stack.port, { workers: WORKERS, tag: `refused.${stack.name}` });
    await sleep(2000);
    stack.deploy(stack.images.v3, ENV);
    const seconds = await stack.waitFor(
      'the automatic rollback',
      () => {
        const tasks = stack.tasks();
        return (
          stack.updateState() === 'rollback_completed' &&
          tasks.length === 3 &&
          tasks.every((task) => task.image === stack.images.v2 && task.health === 'healthy')
        );
      },
      300,
    );
    await sleep(3000);
    const summary = await traffic.stop();
    report('refused-update', summary, { rollbackSeconds: seconds });

    expect({ status5xx: summary.status5xx, connectionErrors: summary.connectionErrors }).toEqual({ status5xx: 0, connectionErrors: 0 });
    expect(summary.requests).toBeGreaterThan(50);
    const refusal = `migration safety (MIGRATION_SAFETY=strict): ${DROP.name} would break the version still running`;
    await stack.waitFor('the log line of the refusal', () => stack.serviceLogs('backend', 1_000_000).includes(refusal), 60).catch(() => undefined);
    const logs = stack.serviceLogs('backend', 1_000_000);
    expect(logs).toContain(refusal);
    expect(logs).toContain(`prisma/migrations/${DROP.name}/migration.sql:2: drops column user.nickname`);
    expect(stack.sql(`SELECT count(*) FROM _prisma_migrations WHERE migration_name = '${DROP.name}'`)).toBe('0');
    expect(stack.sql(`SELECT count(*) FROM information_schema.columns WHERE table_name = 'user' AND column_name = 'nickname'`)).toBe('1');
  }, 600_000);

  it('SIGKILL of one replica under load costs at most its requests in flight; swarm replaces it within 60 s', async () => {
    const traffic = new Traffic(stack.port, { workers: WORKERS, tag: `kill.${stack.name}` });
    await sleep(3000);
    const [victim] = stack.tasks();
    const inFlight = traffic.inFlight();
    const killedAt = Date.now();
    execFileSync('docker', ['kill', '--signal', 'KILL', victim!.container]);
    const replacedIn = await stack.waitFor(
      'a replacement replica',
      () => stack.tasks().filter((task) => task.container !== victim!.container && task.health === 'healthy').length === 3,
      60,
    );
    await sleep(3000);
    const summary = await traffic.stop();
    const failures = traffic.log.filter((entry) => entry.error || (entry.status ?? 0) >= 500);
    report('sigkill', summary, { inFlightAtKill: inFlight, failed: failures.length, replacedInSeconds: replacedIn });

    // Every failed request was already in flight when the container died.
    expect(failures.filter((entry) => entry.startedAt > killedAt)).toEqual([]);
    expect(failures.length).toBeLessThanOrEqual(inFlight);
    expect(replacedIn).toBeLessThan(60);
  }, 300_000);

  it('a database restart under load gives 503s only, and every replica recovers without a restart', async () => {
    const replicas = stack
      .tasks()
      .map((task) => task.container)
      .sort();
    const traffic = new Traffic(stack.port, { workers: WORKERS, tag: `dbrestart.${stack.name}` });
    await sleep(3000);
    const oldDb = stack.dbContainer();
    stack.restartDatabase();
    await stack.waitFor('the database restarted', () => stack.dbContainer() !== oldDb && stack.dbContainer() !== '', 120);
    // Answering, not only started: for its first DB_RETRY_WAIT seconds of an outage a replica stays
    // ready (its requests wait for the database), so its /ready says nothing before then.
    await stack.waitFor(
      'the database answers',
      () => {
        try {
          return stack.sql('SELECT 1') === '1';
        } catch {
          return false;
        }
      },
      120,
    );
    const recoveredIn = await stack.waitFor(
      'every replica ready again',
      () => stack.tasks().every((task) => stack.statusInside(task.container, '/ready') === 200),
      120,
    );
    await sleep(3000);
    const summary = await traffic.stop();
    report('db-restart', summary, { recoveredInSeconds: recoveredIn });

    const other5xx = traffic.log.filter((entry) => (entry.status ?? 0) >= 500 && entry.status !== 503);
    const after = stack
      .tasks()
      .map((task) => task.container)
      .sort();
    if (other5xx.length || summary.connectionErrors || after.join() !== replicas.join()) {
      // What tells a crashed replica from a balancer's mistake.
      const logs = stack.serviceLogs('backend', 5000).split('\n');
      process.stderr.write(
        `swarm db-restart, the backend's tasks:\n${stack.taskHistory()}\n` +
          `its error lines:\n${logs
            .filter((line) => /"level":(50|60)|uncaught|unhandled/i.test(line))
            .slice(-20)
            .join('\n')}\n`,
      );
    }
    // The same containers: none was restarted or replaced (a process that died would be).
    expect(after).toEqual(replicas);
    expect({ other5xx: other5xx.length, connectionErrors: summary.connectionErrors }).toEqual({ other5xx: 0, connectionErrors: 0 });
    // Through the balancer too (it re-checks each replica's /ready every second).
    const balancerReadyIn = await stack.waitFor('the balancer ready again', () => stack.ready(), 30);
    process.stderr.write(`swarm db-restart: the balancer ready ${balancerReadyIn}s after the check above\n`);
  }, 300_000);
});
