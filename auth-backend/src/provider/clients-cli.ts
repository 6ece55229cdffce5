/**
 * Registers a provider client from the command line, for operators who have no administrator yet
 * (docs/oidc-provider.md):
 *
 *   npm run clients:create -- --name N --redirect-uri URL [--redirect-uri URL...] [--public] [--first-party]
 *                             [--grant client_credentials ...] [--resource URL ...] [--post-logout-redirect-uri URL ...]
 *   docker-compose exec backend npm run clients:create -- ...
 *
 * Prints one JSON line, `{ "clientId", "clientSecret" }` (no secret for a public client): the
 * secret is shown only here and stored as its SHA-256. The same rules and the same audit event
 * (oauth.client_created, no actor: an operator) as POST /admin/clients. Exit codes: 0 done,
 * 1 bad arguments, 2 configuration or database error.
 */
import { parseArgs } from 'node:util';
import { readConfigOrReport } from '../config/read-config';
import { createPool } from '../db/pg-adapter';
import { transactionsOn } from '../db/transaction';
import { systemClock } from '../clock';
import { AppError } from '../errors';
import { AuditEventsTable } from '../tables/audit-events';
import { AuditLog } from '../audit/audit-log';
import { OAuthClientsTable } from '../tables/oauth-clients';
import { ProviderStateTable } from '../tables/provider-state';
import { ClientService } from './client-service';
import { CreateClientBody } from './client-schemas';

const USAGE =
  'usage: npm run clients:create -- --name NAME --redirect-uri URL [--redirect-uri URL...] [--public] [--first-party] ' +
  '[--grant authorization_code|refresh_token|client_credentials|urn:ietf:params:oauth:grant-type:device_code ...] [--resource URL ...] [--post-logout-redirect-uri URL ...]';

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      public: { type: 'boolean' },
      'first-party': { type: 'boolean' },
      grant: { type: 'string', multiple: true },
      resource: { type: 'string', multiple: true },
    },
  });
  return CreateClientBody.safeParse({
    name: values.name,
    type: values.public ? 'public' : 'confidential',
    redirectUris: values['redirect-uri'] ?? [],
    ...(values['post-logout-redirect-uri'] ? { postLogoutRedirectUris: values['post-logout-redirect-uri'] } : {}),
    ...(values.grant ? { grantTypes: values.grant } : {}),
    ...(values.resource ? { resources: values.resource } : {}),
    ...(values['first-party'] ? { firstParty: true } : {}),
  });
}

async function main(argv: string[]): Promise<number> {
  let input;
  try {
    input = parse(argv);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 1;
  }
  if (!input.success) {
    for (const issue of input.error.issues) process.stderr.write(`${issue.path.join('.') || 'arguments'}: ${issue.message}\n`);
    process.stderr.write(`${USAGE}\n`);
    return 1;
  }
  const config = readConfigOrReport();
  if (!config) return 2;
  const pool = createPool(config.databaseUrl, { max: 1, connectionTimeoutMillis: 5000 });
  try {
    const clients = new ClientService({
      transaction: transactionsOn(pool),
      clients: new OAuthClientsTable(pool),
      state: new ProviderStateTable(pool, systemClock, config.refresh.idleTtl),
      audit: new AuditLog(new AuditEventsTable(pool, systemClock)),
      // This process keeps no client cache; the statement's NOTIFY reaches the running replicas'.
      changed: () => undefined,
    });
    const { client, clientSecret } = await clients.create(input.data, { actorId: null });
    process.stdout.write(`${JSON.stringify({ clientId: client.id, ...(clientSecret ? { clientSecret } : {}) })}\n`);
    return 0;
  } catch (error) {
    if (error instanceof AppError && error.status < 500) {
      for (const problem of error.extras.errors ?? [{ path: 'arguments', message: error.detail }])
        process.stderr.write(`${problem.path}: ${problem.message}\n`);
      return 1;
    }
    process.stderr.write(`clients:create failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
