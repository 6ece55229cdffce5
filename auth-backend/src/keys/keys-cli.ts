/**
 * Operator commands for the signing keys (docs/operations.md), run where the service runs
 * (`docker-compose exec backend npm run keys:rotate`), with the service's own configuration:
 *
 *   keys:list                           every key, its state and its instants
 *   keys:rotate                         a new key: published now, signing after the activation delay
 *   keys:rotate -- --revoke-current     emergency: the current key is refused now, a new one signs now
 *   keys:revoke -- <kid>                emergency: refuse that key now (a new one signs if it was signing)
 *
 * Prints kids and instants only: private keys never leave the database, and there only sealed.
 * With JWT_ALGORITHM=HS256 the keys are the OpenID Provider's (ES256): the same commands apply.
 * Exit codes: 0 done, 1 refused (bad arguments, unknown kid), 2 configuration or database error.
 */
import { readConfigOrReport } from '../config/read-config';
import { createPool } from '../db/pg-adapter';
import { activationDelaySeconds, retention, revokeKey, rotateKeys, type KeyPolicy } from './key-rotation';
import { scheduleKeys } from './key-schedule';
import { keyPolicy, keyStore } from './key-setup';
import type { KeyStore, StoredKey } from './key-store';

class UsageError extends Error {}

const iso = (date: Date) => date.toISOString();
const print = (line: string) => process.stdout.write(`${line}\n`);

async function list(store: KeyStore, policy: KeyPolicy): Promise<void> {
  const keys = await store.list();
  const now = new Date();
  const schedule = scheduleKeys(keys, now, retention(policy));
  const verifying = new Set(schedule.verifying.map((key) => key.kid));
  const state = (key: StoredKey) => {
    if (key.revokedAt) return `revoked ${iso(key.revokedAt)}`;
    if (key.kid === schedule.signing?.kid) return 'signing';
    if (!verifying.has(key.kid)) return 'retired';
    return key.activatesAt > now ? `published, signs from ${iso(key.activatesAt)}` : 'verifying only';
  };
  if (keys.length === 0) print('no signing keys yet: the service creates the first one when it starts');
  for (const key of keys) print(`${key.kid}  ${key.algorithm}  created ${iso(key.createdAt)}  ${state(key)}`);
}

async function rotate(store: KeyStore, policy: KeyPolicy, args: string[]): Promise<void> {
  const unknown = args.filter((arg) => arg !== '--revoke-current');
  if (unknown.length > 0) throw new UsageError(`unknown argument(s): ${unknown.join(' ')} (only --revoke-current)`);
  const revokeCurrent = args.includes('--revoke-current');
  const { created, previous, revoked } = await rotateKeys(store, policy, new Date(), { revokeCurrent });
  print(`new signing key ${created.kid} (${created.algorithm}): in the JWKS now, signs from ${iso(created.activatesAt)}`);
  if (revoked) print(`revoked ${revoked.kid}: its tokens are refused as soon as each replica re-reads the keys (within ${policy.refreshIntervalSeconds}s)`);
  if (previous) {
    const retires = new Date(created.activatesAt.getTime() + (policy.ttlSeconds + policy.refreshIntervalSeconds) * 1000);
    print(`previous key ${previous.kid} signs until then and verifies until ${iso(retires)}`);
    print(`every replica signs with the new key from that instant (activation delay ${activationDelaySeconds(policy)}s)`);
  }
}

async function revoke(store: KeyStore, policy: KeyPolicy, args: string[]): Promise<void> {
  const [kid, ...rest] = args;
  if (!kid || rest.length > 0) throw new UsageError('usage: npm run keys:revoke -- <kid>   (kids: npm run keys:list)');
  const result = await revokeKey(store, policy, kid, new Date());
  if (result.kind === 'unknown') throw new UsageError(`no unrevoked key ${kid} (see npm run keys:list)`);
  print(`revoked ${kid}: its tokens are refused as soon as each replica re-reads the keys (within ${policy.refreshIntervalSeconds}s)`);
  if (result.replacement) print(`it was signing: new signing key ${result.replacement.kid} (${result.replacement.algorithm}) signs now`);
}

const COMMANDS: Record<string, (store: KeyStore, policy: KeyPolicy, args: string[]) => Promise<void>> = { list, rotate, revoke };

async function main(argv: string[]): Promise<number> {
  const [command = '', ...args] = argv;
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`usage: keys-cli.js list | rotate [--revoke-current] | revoke <kid>\n`);
    return 1;
  }
  const config = readConfigOrReport();
  if (!config) return 2;
  const pool = createPool(config.databaseUrl, { max: 1, connectionTimeoutMillis: 5000 });
  try {
    await run(keyStore(config, pool), keyPolicy(config), args);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    process.stderr.write(`keys ${command} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
