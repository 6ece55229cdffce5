/**
 * The operator's way in (docs/operations.md, "Administrators"):
 *
 *   npm run users:set-role -- --email ADDRESS --role admin|user
 *   docker-compose exec backend npm run users:set-role -- --email ADDRESS --role admin
 *
 * Runs with the service's configuration (DATABASE_URL). The change and its audit event
 * (admin.user_updated, no actor: an operator) commit together; it acts on the user's next admin
 * call, with the tokens they already have. Exit codes: 0 done, 1 bad arguments or no such
 * account, 2 configuration or database error.
 */
import { parseArgs } from 'node:util';
import { readConfigOrReport } from '../config/read-config';
import { createPool } from '../db/pg-adapter';
import { transactionsOn } from '../db/transaction';
import { systemClock } from '../clock';
import { UsersTable } from '../tables/users';
import { AuditEventsTable } from '../tables/audit-events';
import type { Role } from '../domain/user';

const USAGE = 'usage: npm run users:set-role -- --email ADDRESS --role admin|user';

function parse(argv: string[]): { email: string; role: Role } | undefined {
  try {
    const { values } = parseArgs({ args: argv, options: { email: { type: 'string' }, role: { type: 'string' } }, strict: true });
    const email = values.email?.trim().toLowerCase();
    if (!email || (values.role !== 'admin' && values.role !== 'user')) return undefined;
    return { email, role: values.role };
  } catch {
    return undefined;
  }
}

async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (!args) {
    process.stderr.write(`${USAGE}\n`);
    return 1;
  }
  const config = readConfigOrReport();
  if (!config) return 2;
  const pool = createPool(config.databaseUrl, { max: 1, connectionTimeoutMillis: 5000 });
  try {
    const users = new UsersTable(pool);
    const audit = new AuditEventsTable(pool, systemClock);
    const id = await transactionsOn(pool)(async (tx) => {
      const userId = await users.in(tx).setRoleByEmail(args.email, args.role);
      if (userId) await audit.in(tx).record({ type: 'admin.user_updated', userId, data: { fields: ['role'], role: args.role, by: 'operator' } });
      return userId;
    });
    if (!id) {
      process.stderr.write('no account has that email address\n');
      return 1;
    }
    process.stdout.write(`user ${id} is now ${args.role}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`users:set-role failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
