/**
 * Each table has one module that writes it (docs/architecture.md, "Who writes which table"): a
 * statement that inserts, updates or deletes rows of a table anywhere else fails this test.
 * Read from the sources: every SQL write names its table right after INSERT INTO, UPDATE or
 * DELETE FROM.
 */
import fs from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(__dirname, '../../src');
const WRITE = /\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([a-z_]+)"?/g;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function writersByTable(): Map<string, Set<string>> {
  const writers = new Map<string, Set<string>>();
  for (const file of sources(SRC)) {
    // SQL lives in template and string literals; comments may mention statements too, so drop them.
    const code = fs
      .readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const [, table] of code.matchAll(WRITE)) {
      const set = writers.get(table!) ?? new Set<string>();
      set.add(path.relative(SRC, file));
      writers.set(table!, set);
    }
  }
  return writers;
}

describe('the tables', () => {
  it('each have exactly one module that writes them', () => {
    const writers = Object.fromEntries([...writersByTable()].map(([table, files]) => [table, [...files].sort()]));
    expect(writers).toEqual({
      user: ['tables/users.ts'],
      session: ['tables/sessions.ts'],
      refresh_token: ['tables/sessions.ts'],
      email_token: ['tables/email-tokens.ts'],
      mail_outbox: ['tables/mail-outbox.ts'],
      login_failure: ['tables/login-failures.ts'],
      // rate-limiter-flexible's statements run on this module's behalf; the prune is its own.
      rate_limit: ['throttle/window-limit.ts'],
      signing_key: ['keys/key-store.ts'],
      mfa_factor: ['tables/mfa-factors.ts'],
      recovery_code: ['tables/recovery-codes.ts'],
      mfa_challenge: ['tables/mfa-challenges.ts'],
      user_identity: ['tables/identities.ts'],
      audit_event: ['tables/audit-events.ts'],
      oidc_state: ['tables/oidc-states.ts'],
      oidc_exchange_code: ['tables/oidc-exchange-codes.ts'],
      oauth_client: ['tables/oauth-clients.ts'],
      oauth_consent: ['tables/oauth-consents.ts'],
      // The OpenID Provider's state and the service session each browser session rides on: one aggregate.
      oidc_provider_state: ['tables/provider-state.ts'],
      oidc_session_binding: ['tables/provider-state.ts'],
      passkey: ['tables/passkeys.ts'],
      passkey_challenge: ['tables/passkey-challenges.ts'],
      webhook: ['tables/webhooks.ts'],
      webhook_delivery: ['tables/webhook-deliveries.ts'],
      known_device: ['tables/known-devices.ts'],
      _prisma_migrations: ['migrations/migration-state.ts'],
    });
  });
});
