/**
 * Docs drift is a bug: every command in the ```sh blocks of README.md and docs/ is either run
 * here for real (in a scratch copy of the repository, against a test database), replayed against
 * the app (curl), or, when it needs Docker or the network, checked against what it names
 * (compose services, npm scripts, files).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import request from 'supertest';
import { parse } from 'yaml';
import { createTestApp, type TestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const repo = path.resolve(__dirname, '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'auth-backend', 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const composeServices = Object.keys((parse(fs.readFileSync(path.join(repo, 'docker-compose.yml'), 'utf8')) as { services: object }).services);

interface DocCommand {
  file: string;
  line: string;
}

function docCommands(): DocCommand[] {
  const files = ['README.md', ...fs.readdirSync(path.join(repo, 'docs'), { recursive: true }).map((f) => path.join('docs', String(f)))].filter((f) =>
    f.endsWith('.md'),
  );
  const commands: DocCommand[] = [];
  for (const file of files) {
    const text = fs.readFileSync(path.join(repo, file), 'utf8');
    for (const block of text.matchAll(/^\s*```(?:sh|bash)\n([\s\S]*?)^\s*```/gm)) {
      // A line ending in a backslash goes on on the next one: one command.
      for (const raw of block[1]!.replace(/\\\n\s*/g, ' ').split('\n')) {
        // A trailing ` # comment` explains the command; it is not part of it.
        const line = raw.replace(/\s+#\s.*$/, '').trim();
        if (line && !line.startsWith('#')) commands.push({ file, line });
      }
    }
  }
  return commands;
}

const ALL = docCommands();
/**
 * Point-in-time recovery runs pgBackRest inside the compose stack's db service: those commands run
 * for real in the container suite (test/container/point-in-time-recovery.test.ts); here the script
 * must exist and its --help must name the documented option.
 */
const STACK_ONLY = /^scripts\/(backup\.sh --base|restore\.sh --to-time|verify-backup\.sh)\b/;

/** Documented commands that need pg_dump/psql; skipped (with the reason) where those cannot run. */
const needsPgTools = (line: string) => /scripts\/(backup|restore|verify)\.sh/.test(line);

/** `docker-compose [--profile P] SUB [flags] [SERVICE [COMMAND...]]` names only what exists. */
function checkComposeCommand(part: string): void {
  const words = part.split(/\s+/).slice(1);
  while (words[0]?.startsWith('--')) words.splice(0, 2);
  const sub = words.shift()!;
  expect(['up', 'down', 'ps', 'logs', 'exec', 'run', 'stop', 'start', 'restart', 'config', 'build']).toContain(sub);
  // Options that take a value (a volume, an entrypoint, a variable...) are skipped with it.
  const args: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (/^(-v|--volume|-e|--env|-u|--user|-w|--workdir|--entrypoint|--name|-p|--publish)$/.test(words[i]!)) i++;
    else if (!words[i]!.startsWith('-')) args.push(words[i]!);
  }
  if (sub === 'exec' || sub === 'run') {
    const [service, ...command] = args;
    expect(composeServices).toContain(service);
    if (command[0] === 'npm' && command[1] === 'run') expect(Object.keys(pkg.scripts)).toContain(command[2]);
    if (command[0] === 'npx') expect(command[1]).toBe('prisma');
  } else {
    for (const service of args) expect(composeServices).toContain(service);
  }
}

describe('commands in README.md and docs/', () => {
  let sandbox: string;
  let db: TestDatabase;
  let app: TestApp;

  beforeAll(async () => {
    // A scratch copy of the tracked files, with the real node_modules, so that commands that
    // write (.env, backups/, migrations) change nothing in the working tree.
    sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'docs-'));
    const tracked = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: repo, encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
    for (const file of tracked) {
      if (!fs.existsSync(path.join(repo, file))) continue;
      fs.mkdirSync(path.dirname(path.join(sandbox, file)), { recursive: true });
      fs.copyFileSync(path.join(repo, file), path.join(sandbox, file));
    }
    for (const linked of ['node_modules', 'dist']) fs.symlinkSync(path.join(repo, 'auth-backend', linked), path.join(sandbox, 'auth-backend', linked));
    db = await createTestDatabase({ migrated: true });
    app = await createTestApp();
    // Backups for the commands whose <file> placeholder names one, whichever runs first.
    if (process.env.TEST_PG_TOOLS === 'ok') {
      for (const args of [[], ['--label', 'before-pg-upgrade']]) {
        const made = spawnSync('bash', ['scripts/backup.sh', ...args], {
          cwd: sandbox,
          env: { PATH: process.env.PATH, DATABASE_URL: db.url },
          encoding: 'utf8',
        });
        expect(made.status).toBe(0);
      }
    }
  });
  afterAll(async () => {
    await db.drop();
    await app.close();
    fs.rmSync(sandbox, { recursive: true, force: true });
  });

  it('finds the commands (the extraction itself works)', () => {
    expect(ALL.length).toBeGreaterThan(20);
    expect(ALL.map((c) => c.line)).toEqual(expect.arrayContaining(['scripts/backup.sh', 'scripts/verify.sh', 'cd auth-backend && npm ci && npm test']));
  });

  const pgToolsOk = process.env.TEST_PG_TOOLS === 'ok';
  const runnable = ALL.filter((c) => pgToolsOk || !needsPgTools(c.line));
  const skipped = ALL.filter((c) => !pgToolsOk && needsPgTools(c.line));
  if (skipped.length > 0) it.skip.each(skipped.map((c) => [c.file, c.line]))(`%s: %s (skipped: ${process.env.TEST_PG_TOOLS})`, () => undefined);

  it.each(runnable.map((c) => [c.file, c.line]))('%s: %s', async (_file, line) => {
    if (/^docker\s/.test(line)) {
      // The Docker CLI on the operator's engine (the volumes of a real installation): never run here.
      // It names a real subcommand, and any image of ours it runs is one the compose file builds.
      expect(['run', 'volume', 'build', 'image', 'ps', 'logs', 'exec', 'stack', 'swarm', 'service', 'secret', 'node']).toContain(line.split(/\s+/)[1]);
      for (const image of line.match(/\bauth-[a-z]+:local\b/g) ?? []) expect(fs.readFileSync(path.join(repo, 'docker-compose.yml'), 'utf8')).toContain(image);
      return;
    }
    let cwd = sandbox;
    for (let part of line.split(/\s+&&\s+/)) {
      part = part.trim();
      if (part.startsWith('cd ')) {
        cwd = path.join(cwd, part.slice(3).trim());
        expect(fs.existsSync(cwd)).toBe(true);
      } else if (/^docker-compose\b/.test(part) && !part.includes('|')) {
        checkComposeCommand(part);
      } else if (/docker-compose exec -T db (pg_dump|psql)/.test(part)) {
        // A by-hand pipeline through the db container: the tools and flags the scripts use.
        expect(part).toMatch(/-U postgres/);
      } else if (STACK_ONLY.test(part)) {
        const [script, option] = part.split(/\s+/);
        const help = spawnSync('bash', [script!, '--help'], { cwd, env: { PATH: process.env.PATH }, encoding: 'utf8' });
        expect(help.status).toBe(0);
        if (option?.startsWith('--')) expect(help.stdout + help.stderr).toContain(option);
      } else if (part === 'git pull') {
        // Needs the network: nothing to check.
      } else if (part === 'npm ci' || part === 'npm test') {
        // Run by .ci/run, which runs the README's test command.
        expect(fs.readFileSync(path.join(repo, '.ci', 'run'), 'utf8')).toMatch(new RegExp(`^${part}\\b`, 'm'));
      } else if (/^npm run (dev|db:studio)\b|^npm start\b/.test(part)) {
        expect(Object.keys(pkg.scripts)).toContain(part.split(' ')[2] ?? 'start');
      } else if (part.startsWith('curl ')) {
        const method = /-X (\w+)/.exec(part)?.[1] ?? 'GET';
        const url = new URL(/(http:\/\/\S+)/.exec(part)![1]!);
        const body = /-d '([^']*)'/.exec(part)?.[1];
        const call = request(app.app)[method.toLowerCase() as 'post'](url.pathname);
        const response = body ? await call.set('Content-Type', 'application/json').send(body) : await call;
        expect(response.status).toBeLessThan(300);
      } else {
        // Placeholders name the newest matching backup written by an earlier documented command.
        part = part.replace(/backups\/<file>([\w.-]*)/g, (_match, suffix: string) => {
          const found = fs
            .readdirSync(path.join(sandbox, 'backups'))
            .filter((f) => f.endsWith(suffix) && f.endsWith('.sql.gz'))
            .sort()
            .pop();
          expect(found).toBeDefined();
          return `backups/${found}`;
        });
        expect(part).not.toMatch(/<\w+>/);
        const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: db.url, APP_ROOT: path.join(sandbox, 'auth-backend') };
        // restore.sh without --yes asks on a terminal: answer it on a pseudo-terminal, as a person would.
        const interactive = /scripts\/restore\.sh (?!.*--yes)/.test(part);
        const result = interactive
          ? spawnSync('script', ['-qec', part, '/dev/null'], { cwd, env, encoding: 'utf8', input: `${db.name}\n`, timeout: 120_000 })
          : spawnSync('bash', ['-c', part], { cwd, env, encoding: 'utf8', timeout: 120_000 });
        if (interactive) expect(result.stdout).toMatch(/restore complete/);
        expect({ command: part, status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({ command: part, status: 0, stderr: '' });
      }
    }
  });
});
