/**
 * Passkeys when KEY_ENCRYPTION_KEY changes (docs/operations.md, "Changing KEY_ENCRYPTION_KEY"):
 * their credentials are sealed under it, so the real `npm run secrets:reseal` re-seals them, and a
 * passkey registered under the old value signs in under the new value alone.
 */
import { passkeyCredentialContext, passkeyCredentialEnvelope, SealedValueError } from '../../src/crypto/key-encryption';
import { createTestApp, registerUser, type TestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { keyEnv, runOperatorCommand } from '../support/signing-keys';
import { addedPasskey, newAuthenticator, passkeySignIn, signedInWithPasskey } from '../support/passkeys';

const OLD = 'the-old-key-encryption-key-of-at-least-32-bytes';
const NEW = 'the-new-key-encryption-key-of-at-least-32-bytes';
const OTHER = 'a-key-encryption-key-nobody-has-any-more-32-bytes';

describe('npm run secrets:reseal and passkeys', () => {
  let database: TestDatabase;
  const apps: TestApp[] = [];
  const start = async (env: Record<string, string>) => {
    const t = await createTestApp(keyEnv({ JWT_ALGORITHM: 'HS256', ...env }), { database });
    apps.push(t);
    return t;
  };
  const stop = async (t: TestApp) => {
    await t.close();
    apps.splice(apps.indexOf(t), 1);
  };
  const sealed = () =>
    database.query<{ id: string; userId: string; sealedCredential: string }>(`SELECT id, "userId", "sealedCredential" FROM passkey ORDER BY "createdAt"`);
  beforeAll(async () => {
    database = await createTestDatabase({ migrated: true });
  });
  afterAll(async () => {
    for (const t of apps) await t.close();
    await database?.drop();
  });

  it('re-seals every passkey under the new value; one the old value sealed signs in under the new value alone', async () => {
    const before = await start({ KEY_ENCRYPTION_KEY: OLD });
    const device = newAuthenticator();
    const user = await registerUser(before.app);
    await addedPasskey(before.app, user.accessToken, device);
    await stop(before);
    // Under the new value alone nothing opens: the check (no KEY_ENCRYPTION_KEY_PREVIOUS) says so and changes nothing.
    // (From v4 the service itself would not start: the key ring is sealed under KEY_ENCRYPTION_KEY in every mode.)
    const rowsBefore = await sealed();
    const check = runOperatorCommand('secrets:reseal', [], { DATABASE_URL: database.url, KEY_ENCRYPTION_KEY: NEW });
    expect(check.status).toBe(1);
    expect(check.stdout).toContain('passkeys: 0 resealed, 0 already under KEY_ENCRYPTION_KEY, 1 unreadable (passkey ');
    expect(check.stdout).toMatch(/signing keys: 0 resealed, 0 already under KEY_ENCRYPTION_KEY, [1-9]\d* unreadable/);
    expect(await sealed()).toEqual(rowsBefore);
    // Step 1 of the documented change: both values set, the service serves and the passkey signs in.
    const during = await start({ KEY_ENCRYPTION_KEY: NEW, KEY_ENCRYPTION_KEY_PREVIOUS: OLD });
    await signedInWithPasskey(during.app, device);
    await stop(during);

    const run = runOperatorCommand('secrets:reseal', [], { DATABASE_URL: database.url, KEY_ENCRYPTION_KEY: NEW, KEY_ENCRYPTION_KEY_PREVIOUS: OLD });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('passkeys: 1 resealed, 0 already under KEY_ENCRYPTION_KEY, 0 unreadable\n');
    for (const id of device.credentialIds()) expect(run.stdout).not.toContain(id);
    for (const row of await sealed()) {
      expect(() => passkeyCredentialEnvelope(OLD).open(row.sealedCredential, passkeyCredentialContext(row))).toThrow(SealedValueError);
      expect(() => passkeyCredentialEnvelope(NEW).open(row.sealedCredential, passkeyCredentialContext(row))).not.toThrow();
    }
    const after = await start({ KEY_ENCRYPTION_KEY: NEW });
    await signedInWithPasskey(after.app, device);
    await stop(after);
  });

  it('leaves a passkey neither key opens as it is, names it, and exits 1', async () => {
    const app = await start({ KEY_ENCRYPTION_KEY: NEW });
    const device = newAuthenticator();
    const user = await registerUser(app.app);
    const passkey = await addedPasskey(app.app, user.accessToken, device);
    // Its credential sealed under a value nobody has any more (as if it was added under it).
    const [row] = (await sealed()).filter((candidate) => candidate.id === passkey.id);
    const credential = passkeyCredentialEnvelope(NEW).open(row!.sealedCredential, passkeyCredentialContext(row!));
    await database.query(`UPDATE passkey SET "sealedCredential" = $1 WHERE id = $2`, [
      passkeyCredentialEnvelope(OTHER).seal(credential, passkeyCredentialContext(row!)),
      passkey.id,
    ]);
    // The service refuses it, and says so on an error line.
    expect((await passkeySignIn(app.app, device)).response.status).toBe(401);
    expect(app.logs()).toContainEqual(expect.objectContaining({ event: 'passkey.unreadable', level: 50 }));
    await stop(app);
    const run = runOperatorCommand('secrets:reseal', [], { DATABASE_URL: database.url, KEY_ENCRYPTION_KEY: NEW, KEY_ENCRYPTION_KEY_PREVIOUS: OLD });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`passkeys: 0 resealed, 1 already under KEY_ENCRYPTION_KEY, 1 unreadable (passkey ${passkey.id})\n`);
    expect(run.stderr).toMatch(/such passkeys no longer sign in/);
  });
});
