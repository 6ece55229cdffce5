/**
 * The OpenID Provider's state (apps' sessions, grants, refresh tokens) when KEY_ENCRYPTION_KEY
 * changes (docs/operations.md, "Changing KEY_ENCRYPTION_KEY"): it is sealed under that key, so the
 * real `npm run secrets:reseal` re-seals it, and an app's refresh token issued under the old value
 * still works once KEY_ENCRYPTION_KEY_PREVIOUS is gone. Without it, removing the old value signed
 * every person out of every app.
 */
import { providerStateEnvelope, SealedValueError } from '../../src/crypto/key-encryption';
import { createTestApp, registerUser } from '../support/test-app';
import { relyingParty, startProviderApp, type ProviderTestApp } from '../support/provider-app';
import { APP_CALLBACK, newBrowser, signInAndExchange } from '../support/provider-flows';
import { runOperatorCommand } from '../support/signing-keys';

const OLD = 'the-old-key-encryption-key-of-at-least-32-bytes';
const NEW = 'the-new-key-encryption-key-of-at-least-32-bytes';

describe('npm run secrets:reseal and the OpenID Provider’s state', () => {
  let t: ProviderTestApp;
  const later: Array<{ close(): Promise<void> }> = [];
  beforeAll(async () => {
    t = await startProviderApp({ KEY_ENCRYPTION_KEY: OLD });
  });
  afterAll(async () => {
    for (const app of later) await app.close();
    await t?.close();
  });

  const states = () => t.database.query<{ model: string; key: string; payload: string }>(`SELECT model, key, payload FROM oidc_provider_state`);

  it('re-seals every row under the new value; an app’s refresh token from before works under the new value alone', async () => {
    const client = await t.registerClient({ name: 'Mobile', type: 'public', redirectUris: [APP_CALLBACK], firstParty: true });
    const rp = await relyingParty(t.issuer, client, APP_CALLBACK);
    const { tokens } = await signInAndExchange(newBrowser(), rp, await registerUser(t.app), { scope: 'openid offline_access' });
    const before = await states();
    expect(before.length).toBeGreaterThan(0);

    // Step 1: both values set; the service serves. Step 2: the command.
    const both = { DATABASE_URL: t.database.url, KEY_ENCRYPTION_KEY: NEW, KEY_ENCRYPTION_KEY_PREVIOUS: OLD };
    const run = runOperatorCommand('secrets:reseal', [], both);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toContain(`provider state: ${before.length} resealed, 0 already under KEY_ENCRYPTION_KEY, 0 unreadable\n`);
    // No token, nor a token's hash, on the command's output.
    for (const row of before) expect(run.stdout).not.toContain(row.key);
    for (const row of await states()) {
      expect(() => providerStateEnvelope(OLD).open(row.payload, [row.model, row.key])).toThrow(SealedValueError);
      expect(() => providerStateEnvelope(NEW).open(row.payload, [row.model, row.key])).not.toThrow();
    }
    expect(runOperatorCommand('secrets:reseal', [], both).stdout).toContain(`provider state: 0 resealed, ${before.length} already under KEY_ENCRYPTION_KEY`);

    // Step 3: the old value removed. The app's refresh token still works.
    const renewed = await createTestApp({ PUBLIC_URL: t.issuer, KEY_ENCRYPTION_KEY: NEW }, { database: t.database });
    later.push(renewed);
    t.routeTo(renewed);
    const refreshed = await rp.oidc.refreshTokenGrant(rp.configuration, tokens.refresh_token!);
    expect(refreshed.access_token).toEqual(expect.any(String));
  });
});
