/**
 * `npm run secrets:reseal` (docs/operations.md, "Changing KEY_ENCRYPTION_KEY"), run where the
 * service runs, with its configuration: KEY_ENCRYPTION_KEY (the new value) and
 * KEY_ENCRYPTION_KEY_PREVIOUS (the old one). Re-seals every TOTP secret, signing key, passkey
 * credential and webhook secret under the new value; prints counts, and the users, kids or passkey ids of values
 * neither key opens, never a secret.
 * Without KEY_ENCRYPTION_KEY_PREVIOUS it checks that every value opens with KEY_ENCRYPTION_KEY.
 * Exit codes: 0 everything is sealed under KEY_ENCRYPTION_KEY now, 1 some value opens with
 * neither key (or bad arguments), 2 configuration or database error.
 */
import { readConfigOrReport } from '../config/read-config';
import { createPool } from '../db/pg-adapter';
import { KeyEncryption, passkeyCredentialEnvelope, totpSecretEnvelope } from '../crypto/key-encryption';
import { MfaFactorsTable } from '../tables/mfa-factors';
import { PasskeysTable } from '../tables/passkeys';
import { WebhooksTable } from '../tables/webhooks';
import { webhookSecretEnvelope } from '../webhooks/webhook-secrets';
import { systemClock } from '../clock';
import { keyStore } from '../keys/key-setup';
import { resealSecrets, type ResealCount } from './reseal-secrets';

const line = (what: string, count: ResealCount) =>
  `${what}: ${count.resealed} resealed, ${count.current} already under KEY_ENCRYPTION_KEY, ${count.unreadable.length} unreadable${
    count.unreadable.length > 0 ? ` (${count.unreadable.join(', ')})` : ''
  }\n`;

async function main(argv: string[]): Promise<number> {
  if (argv.length > 0) {
    process.stderr.write('usage: npm run secrets:reseal   (KEY_ENCRYPTION_KEY: the new value, KEY_ENCRYPTION_KEY_PREVIOUS: the old one)\n');
    return 1;
  }
  const config = readConfigOrReport();
  if (!config) return 2;
  const pool = createPool(config.databaseUrl, { max: 1, connectionTimeoutMillis: 5000 });
  try {
    const report = await resealSecrets({
      mfaFactors: new MfaFactorsTable(pool),
      keyStore: keyStore(config, pool),
      totpSecrets: totpSecretEnvelope(config.keys),
      keyEncryption: new KeyEncryption(config.keys),
      passkeys: new PasskeysTable(pool, systemClock),
      passkeyCredentials: passkeyCredentialEnvelope(config.keys),
      webhooks: new WebhooksTable(pool),
      webhookSecrets: webhookSecretEnvelope(config.keys),
    });
    process.stdout.write(
      line('TOTP secrets', report.totpSecrets) +
        line('signing keys', report.signingKeys) +
        line('passkeys', report.passkeys) +
        line('webhook secrets', report.webhookSecrets),
    );
    const unreadable =
      report.totpSecrets.unreadable.length + report.signingKeys.unreadable.length + report.passkeys.unreadable.length + report.webhookSecrets.unreadable.length;
    if (unreadable > 0) {
      process.stderr.write(
        `${unreadable} value(s) open with neither KEY_ENCRYPTION_KEY nor KEY_ENCRYPTION_KEY_PREVIOUS and were left as they are: ` +
          'those users sign in with a recovery code (or an administrator removes their factor); revoke such signing keys (npm run keys:revoke); ' +
          'such passkeys no longer sign in (their users remove them and add them again); such webhooks need a new secret (POST /admin/webhooks/{id}/secret)\n',
      );
      return 1;
    }
    if (config.keys.previousEncryptionKey) process.stdout.write('every value is sealed under KEY_ENCRYPTION_KEY: remove KEY_ENCRYPTION_KEY_PREVIOUS now\n');
    return 0;
  } catch (error) {
    process.stderr.write(`secrets:reseal failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
