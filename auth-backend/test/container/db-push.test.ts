/**
 * A checkout without prisma/migrations in a real Docker engine: the entrypoint synchronises the
 * schema with `prisma db push`, and refuses, in a restart loop that says why, a change that would
 * lose data (docs/operations.md, exit code 5). Run by the uid-1001 user when there is one.
 */
import fs from 'node:fs';
import { Checkout, describeWithEngine, otherUser, PRISMA_NOISE, rootUser } from '../support/compose-stack';
import { ensureBackendImage } from '../support/backend-image';

const STEP = 240_000;

describeWithEngine('the stack in Docker without migrations (db push)', () => {
  const other = otherUser();
  const owner = typeof other === 'string' ? rootUser() : other;
  if (typeof owner === 'string') {
    it.skip(`(skipped: ${owner})`, () => undefined);
    return;
  }
  let stack: Checkout;

  beforeAll(async () => {
    ensureBackendImage();
    stack = await Checkout.create(owner, { withoutMigrations: true });
  }, 900_000);
  afterAll(() => stack?.destroy(), 120_000);

  it('first start pushes the schema and serves', async () => {
    expect(fs.existsSync(stack.path('auth-backend/prisma/migrations'))).toBe(false);
    stack.ok('scripts/init-env.sh && docker-compose up -d', { timeoutSeconds: 600 });
    await stack.waitForHealthy();
    expect(stack.ok('docker-compose logs backend')).toMatch(/prisma\/migrations holds no migration: running prisma db push/);
    const registered = await stack.api('/auth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'pushed@example.com', password: 'a perfectly good passphrase', name: 'Kept Name' }),
    });
    expect(registered.status).toBe(201);
  }, 900_000);

  it(
    'a schema change that would drop a column holding data: restart loop, the log says data would be lost, the data stays',
    async () => {
      const schemaFile = 'auth-backend/prisma/schema.prisma';
      const schema = fs.readFileSync(stack.path(schemaFile), 'utf8');
      const edited = schema.replace(/^ {2}name +String\?\n/m, '');
      expect(edited).not.toBe(schema);
      stack.saveByRename(schemaFile, edited);
      stack.ok('docker-compose restart backend');
      await stack.waitForRestartLoop();
      expect(stack.ok('docker-compose ps')).not.toMatch(/backend.*\(healthy\)/);
      const logs = stack.ok('docker-compose logs backend');
      expect(logs).toMatch(/prisma db push stopped: applying the schema would lose data/);
      expect(logs).toMatch(/Nothing was changed/);
      expect(stack.sql(`SELECT name FROM "user" WHERE email = 'pushed@example.com'`)).toBe('Kept Name');
    },
    STEP,
  );

  it('printed no Prisma warning in any command or log above', () => {
    expect(stack.transcript.filter((entry) => PRISMA_NOISE.test(entry.output)).map((entry) => `${entry.command}:\n${entry.output}`)).toEqual([]);
  });
});
