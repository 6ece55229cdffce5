/**
 * The operator commands that docs/operations.md prints to run on the host from auth-backend/
 * work as printed in a fresh clone after `npm ci` (finding 7 of the v3 security review): nothing
 * is built there, and each command builds what it needs first, once.
 */
import { spawnSync } from 'node:child_process';
import { freshClone } from '../support/fresh-clone';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const run = (cwd: string, script: string, args: string[], env: NodeJS.ProcessEnv) =>
  spawnSync('npm', ['run', '--silent', script, ...(args.length > 0 ? ['--', ...args] : [])], { cwd, env, encoding: 'utf8', timeout: 240_000 });

describe('operator commands in a fresh clone (nothing built)', () => {
  let clone: ReturnType<typeof freshClone>;
  let db: TestDatabase;
  beforeAll(async () => {
    clone = freshClone();
    db = await createTestDatabase({ migrated: true });
  });
  afterAll(async () => {
    clone?.remove();
    await db?.drop();
  });

  it('npm run db:check-migrations builds first and checks every migration (no database, as on a laptop or in CI)', () => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    const result = run(clone.dir, 'db:check-migrations', [], env);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: expect.stringMatching(/building the service first/) });
    expect(result.stdout + result.stderr).not.toMatch(/Cannot find module|MODULE_NOT_FOUND/);
  });

  it('users:set-role, keys:list, mail:status and secrets:reseal then run at once, without building again', () => {
    const env = { ...process.env, DATABASE_URL: db.url, JWT_ALGORITHM: 'ES256' };
    for (const [script, args] of [
      ['users:set-role', ['--email', 'nobody@example.com', '--role', 'admin']],
      ['keys:list', []],
      ['mail:status', []],
      ['secrets:reseal', []],
    ] as const) {
      const result = run(clone.dir, script, [...args], env);
      expect({ script, output: result.stdout + result.stderr }).not.toEqual({
        script,
        output: expect.stringMatching(/Cannot find module|MODULE_NOT_FOUND|building the service first/),
      });
      // set-role answers "no such account" (exit 1 with its own message); the others succeed.
      if (script === 'users:set-role') expect(result.stderr).toMatch(/no account/i);
      else expect({ script, status: result.status }).toEqual({ script, status: 0 });
    }
  });
});
