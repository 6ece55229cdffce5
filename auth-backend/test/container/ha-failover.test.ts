/**
 * docs/operations.md, "A database that survives losing a node", in a real one-node swarm: docker/stack.yml
 * with the HA overlay (docker/stack.ha.yml: three etcd and three Patroni members in synchronous mode, the
 * primary's balancer), the real images, continuous registrations (and sign-ins) through the stack's balancer:
 * - docker kill of the leader: writes succeed again within 30 s, every registration that got 201 is in the
 *   database afterwards, meanwhile only 503 (database_unavailable) and nothing over 10 s, and the killed
 *   member comes back as a standby by itself;
 * - scripts/db-cluster.sh switchover under the same traffic fails no request;
 * - WAL archiving follows the leader with no gap: the killed leader had stopped archiving and completed a
 *   segment just before (so it died with it unarchived); afterwards every segment from the base backup
 *   taken before the failover to that one is in the repository, pgBackRest's check passes on the new
 *   leader, scripts/verify.sh --stack reports the cluster, and the restore drill (scripts/verify-backup.sh
 *   --stack) restores that backup, replaying the WAL across both timeline switches.
 * Lean on purpose (CI budget): one failover, one switchover; measurements are stderr lines, the repeated
 * runs for docs/performance.md are bench/ha-failover.mjs's business.
 */
import { execFileSync } from 'node:child_process';
import { describeWithEngine, sleep } from '../support/compose-stack';
import { HaStack } from '../support/ha-stack';
import { Traffic, type Outcome } from '../support/traffic';

const ENV = { BCRYPT_COST: '10', THROTTLE_IP_MAX: '100000', BACKEND_REPLICAS: '2' };
const WORKERS = 4;
const report = (label: string, value: unknown) => process.stderr.write(`ha ${label}: ${JSON.stringify(value)}\n`);

/** The WAL segment names of one timeline from `first` to `last` (16 MB segments: 256 per log file). */
function segmentsBetween(first: string, last: string): string[] {
  const number = (name: string) => parseInt(name.slice(8, 16), 16) * 256 + parseInt(name.slice(16, 24), 16);
  const hex = (value: number) => value.toString(16).toUpperCase().padStart(8, '0');
  const names: string[] = [];
  for (let segment = number(first); segment <= number(last); segment++)
    names.push(`${first.slice(0, 8)}${hex(Math.floor(segment / 256))}${hex(segment % 256)}`);
  return names;
}

const registered = (log: Outcome[]) => log.filter((entry) => entry.route === 'POST /auth/register' && entry.status === 201).map((entry) => entry.email!);

describeWithEngine('the HA database on Docker Swarm (docs/operations.md, "A database that survives losing a node")', () => {
  let stack: HaStack;
  const accounts: string[] = [];
  /** The segment the killed leader completed but had not archived. */
  let unarchived = '';

  beforeAll(async () => {
    stack = await HaStack.create();
    stack.prepareSwarm();
    const started = Date.now();
    stack.buildImages();
    report('images built in seconds', Math.round((Date.now() - started) / 1000));
    expect(stack.createSecrets()).toMatch(/secrets: 6 created, 0 kept/);
    stack.deploy(ENV);
    await stack.waitFor(
      'a leader, a synchronous standby and a ready service',
      async () => {
        const members = stack.members();
        return (
          members.some((member) => member.role === 'Leader' && member.state === 'running') &&
          members.some((member) => member.role === 'Sync Standby' && member.state === 'running') &&
          (await stack.ready())
        );
      },
      300,
    );
    report('deployed and ready in seconds', Math.round((Date.now() - started) / 1000));
    // A base backup before the failover: the drill afterwards restores it and replays across it.
    const backup = stack.exec(stack.leader()!.name, ['pgbackrest', '--stanza=auth', '--log-level-console=warn', 'backup', '--type=full']);
    expect(backup).toEqual({ status: 0, output: expect.any(String) });
  }, 1_500_000);

  afterAll(async () => {
    await stack?.destroy();
  }, 300_000);

  it('survives docker kill of the leader: writes back within 30 s, no acknowledged registration lost, only 503s meanwhile, the old leader back as a standby', async () => {
    const traffic = new Traffic(stack.port, { workers: WORKERS, tag: `failover.${stack.name}` });
    await sleep(5000);
    const leader = stack.leader()!;
    // The leader stops archiving (its archive_command fails) and completes a segment: it dies with that
    // segment unarchived, which the standby promoted in its place has (streamed) and must archive.
    stack.psql(leader.name, "ALTER SYSTEM SET archive_command = '/bin/false'");
    stack.psql(leader.name, 'SELECT pg_reload_conf()');
    const failedBefore = Number(stack.psql(leader.name, 'SELECT failed_count FROM pg_stat_archiver'));
    await sleep(1000);
    unarchived = stack.psql(leader.name, 'SELECT pg_walfile_name(pg_switch_wal())');
    await stack.waitFor('the leader failing to archive', () => Number(stack.psql(leader.name, 'SELECT failed_count FROM pg_stat_archiver')) > failedBefore, 30);
    expect(stack.archivedSegments(leader.name)).not.toContain(unarchived);
    const killedAt = Date.now();
    execFileSync('docker', ['kill', stack.container(leader.name)]);

    const writesBackIn = await stack.waitFor(
      'a registration after the kill',
      () => traffic.log.some((entry) => entry.route === 'POST /auth/register' && entry.status === 201 && entry.startedAt > killedAt),
      60,
    );
    const firstWrite = traffic.log.find((entry) => entry.route === 'POST /auth/register' && entry.status === 201 && entry.startedAt > killedAt)!;
    const rejoinedIn = await stack.waitFor(
      `${leader.name} back as a standby`,
      () => stack.members().some((member) => member.name === leader.name && member.role !== 'Leader' && member.state === 'running'),
      150,
    );
    await sleep(3000);
    const summary = await traffic.stop();
    const newLeader = stack.leader()!;
    // Archiving back on the old leader, should it lead again (pg_rewind may already have replaced the setting).
    stack.psql(leader.name, 'ALTER SYSTEM RESET archive_command');
    stack.psql(leader.name, 'SELECT pg_reload_conf()');
    const slow = traffic.log.filter((entry) => entry.endedAt - entry.startedAt > 10_000);
    const failures = traffic.log.filter((entry) => entry.error || (entry.status ?? 0) >= 500);
    report('failover', {
      ...summary,
      killed: leader.name,
      newLeader: newLeader.name,
      writesBackSeconds: (firstWrite.endedAt - killedAt) / 1000,
      rejoinedSeconds: (Date.now() - killedAt) / 1000 - 3,
      polledWritesBackSeconds: writesBackIn,
      polledRejoinedSeconds: rejoinedIn,
      failed: failures.length,
    });

    expect(newLeader.name).not.toBe(leader.name);
    expect(firstWrite.endedAt - killedAt).toBeLessThan(30_000);
    expect(failures.filter((entry) => entry.status !== 503)).toEqual([]);
    expect(slow).toEqual([]);
    const emails = registered(traffic.log);
    expect(emails.length).toBeGreaterThan(20);
    accounts.push(...emails);
    const stored = new Set(stack.sql(`SELECT email FROM "user" WHERE email LIKE 'failover.${stack.name}.%'`).split('\n'));
    expect(emails.filter((email) => !stored.has(email))).toEqual([]);
  }, 600_000);

  it('a switchover (scripts/db-cluster.sh) under the same traffic fails no request', async () => {
    await stack.waitFor(
      'a synchronous standby again',
      () => stack.members().some((member) => member.role === 'Sync Standby' && member.state === 'running'),
      120,
    );
    const before = stack.leader()!;
    const traffic = new Traffic(stack.port, { workers: WORKERS, tag: `switchover.${stack.name}` });
    await sleep(3000);
    const switchedAt = Date.now();
    const switched = stack.script('db-cluster.sh', ['switchover', '--stack', stack.name]);
    await sleep(5000);
    const summary = await traffic.stop();
    const after = stack.leader();
    // When each failure started after the switchover began and how long it took (the balancer's own 503
    // is immediate; the service's comes after DB_RETRY_WAIT).
    const failed = traffic.log
      .filter((entry) => entry.error || (entry.status ?? 0) >= 500)
      .map((entry) => `${entry.route} ${entry.status ?? entry.error} at +${entry.startedAt - switchedAt}ms in ${entry.endedAt - entry.startedAt}ms`);
    report('switchover', { ...summary, from: before.name, to: after?.name, script: switched.output.split('\n').slice(-2).join(' '), failed });

    expect(switched).toEqual({ status: 0, output: expect.stringMatching(/switchover done: pg\d leads on timeline \d+/) });
    expect(after?.name).not.toBe(before.name);
    expect({ failed: summary.status5xx, connectionErrors: summary.connectionErrors }).toEqual({ failed: 0, connectionErrors: 0 });
    expect(Object.keys(summary.outcomes).every((status) => status === '200' || status === '201')).toBe(true);
    const emails = registered(traffic.log);
    const stored = new Set(stack.sql(`SELECT email FROM "user" WHERE email LIKE 'switchover.${stack.name}.%'`).split('\n'));
    expect(emails.filter((email) => !stored.has(email))).toEqual([]);
    // A switchover to a member that is not the synchronous standby (once the roles have settled: the old
    // primary back as a standby) is refused, changing nothing; so are the leader itself and a stranger.
    await stack.waitFor(
      'the roles settled after the switchover',
      () => {
        const members = stack.members();
        return members.filter((member) => member.state === 'running').length === 3 && members.some((member) => member.role === 'Replica');
      },
      90,
    );
    const leader = stack.leader()!.name;
    const notSync = stack.members().find((member) => member.role === 'Replica')!.name;
    for (const target of [notSync, leader, 'pg9']) {
      const refused = stack.script('db-cluster.sh', ['switchover', '--stack', stack.name, '--to', target]);
      expect({ target, status: refused.status }).toEqual({ target, status: 2 });
    }
    expect(stack.leader()?.name).toBe(leader);
  }, 300_000);

  it('archives from the new leader with no gap: every segment from the base backup on, pgbackrest check, verify.sh --stack and the restore drill pass', async () => {
    const leader = stack.leader()!;
    // Every segment of the old timeline from the newest base backup's first one to the one the killed
    // leader had not archived (the new leader archived it: docker/db-ha/pre-promote.sh).
    const start = stack.newestBackupStart(leader.name);
    expect(unarchived.slice(0, 8)).toBe(start.slice(0, 8));
    const expected = segmentsBetween(start, unarchived);
    const missing = () => {
      const archived = new Set(stack.archivedSegments(leader.name));
      return expected.filter((segment) => !archived.has(segment));
    };
    await stack.waitFor('the old timeline archived with no gap', () => missing().length === 0, 60).catch(() => undefined);
    const hook = ['pg1', 'pg2', 'pg3'].flatMap((member) =>
      stack
        .serviceLogs(member, 5000)
        .split('\n')
        .filter((line) => /pre.promote/.test(line))
        .map((line) => `${member}: ${line}`),
    );
    report('archive continuity', { start, unarchived, segments: expected.length, missing: missing(), hook });
    expect(missing()).toEqual([]);
    expect(stack.exec(leader.name, ['pgbackrest', '--stanza=auth', '--log-level-console=warn', 'check'])).toEqual({ status: 0, output: '' });
    const verify = stack.script('verify.sh', ['--stack', stack.name]);
    expect(verify.output).toMatch(/leader: pg\d/);
    expect(verify.output).toMatch(/pgbackrest check: ok/);
    expect(verify.status).toBe(0);
    const drill = stack.script('verify-backup.sh', ['--stack', stack.name], 600);
    report('restore drill', drill.output);
    expect(drill.status).toBe(0);
    expect(drill.output).toMatch(/restore drill: PASSED/);
    // Every acknowledged registration of the failover is in the restored copy too.
    const rows = Number(/tables: "user" (\d+) rows/.exec(drill.output)?.[1]);
    expect(rows).toBeGreaterThanOrEqual(accounts.length);
  }, 900_000);

  it("the balancer's own 503, with no replica ready, is the service's problem body", async () => {
    execFileSync('docker', ['service', 'scale', '--detach', `${stack.name}_backend=0`]);
    // Replicas drain first (SHUTDOWN_DELAY: /ready 503 while still serving): wait until none runs.
    await stack.waitFor('no replica left', async () => stack.container('backend') === '' && !(await stack.ready()), 90);
    const response = await fetch(`http://127.0.0.1:${stack.port}/auth/me`);
    expect({ status: response.status, type: response.headers.get('content-type') }).toEqual({ status: 503, type: 'application/problem+json' });
    expect(await response.json()).toMatchObject({ status: 503, code: 'database_unavailable' });
  }, 120_000);
});
