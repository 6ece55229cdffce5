/**
 * Changing KEY_ENCRYPTION_KEY (docs/operations.md, "Changing KEY_ENCRYPTION_KEY") as an operator
 * does it, on one real database: the service with the new value and KEY_ENCRYPTION_KEY_PREVIOUS,
 * the real `npm run secrets:reseal`, then the service with the new value alone. Users keep their
 * second factor and the signing key keeps signing; nothing opens with the old value afterwards.
 */
import request from 'supertest';
import { KeyDecryptionError, KeyEncryption, SealedValueError, totpSecretContext, totpSecretEnvelope } from '../../src/crypto/key-encryption';
import { createTestApp, registerUser, STRONG_PASSWORD, type TestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { keyEnv, runOperatorCommand, storedKeys } from '../support/signing-keys';
import { stepOf, totpAtStep } from '../mfa/totp-reference';

const OLD = 'the-old-key-encryption-key-of-at-least-32-bytes';
const NEW = 'the-new-key-encryption-key-of-at-least-32-bytes';
const OTHER = 'a-key-encryption-key-nobody-has-any-more-32-bytes';

/** `npm run secrets:reseal`, for real, with the service's environment. */
const reseal = (databaseUrl: string, env: Record<string, string>, args: string[] = []) =>
  runOperatorCommand('secrets:reseal', args, { DATABASE_URL: databaseUrl, ...env });

/** A clock the tests move by whole TOTP steps: a code is accepted once, so each sign-in uses a later step. */
class StepClock {
  at = Date.now();
  readonly now = () => new Date(this.at);
  next(): number {
    this.at += 30_000;
    return stepOf(this.at);
  }
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Registers a user and turns TOTP on for them: their email and base32 secret. */
async function enroll(t: TestApp, clock: StepClock) {
  const user = await registerUser(t.app);
  const setup = await request(t.app).post('/auth/mfa/totp/setup').set(bearer(user.accessToken)).expect(200);
  const secret = setup.body.secret as string;
  await request(t.app)
    .post('/auth/mfa/totp/confirm')
    .set(bearer(user.accessToken))
    .send({ code: totpAtStep(secret, clock.next()) })
    .expect(200);
  return { email: user.email, secret };
}

/** Password, then the TOTP code of the next step: the tokens. */
async function signIn(t: TestApp, clock: StepClock, user: { email: string; secret: string }) {
  const login = await request(t.app).post('/auth/login').send({ email: user.email, password: STRONG_PASSWORD }).expect(200);
  expect(login.body.mfaRequired).toBe(true);
  const verified = await request(t.app)
    .post('/auth/mfa/verify')
    .send({ mfaToken: login.body.mfaToken, code: totpAtStep(user.secret, clock.next()) })
    .expect(200);
  return verified.body as { accessToken: string };
}

const factors = (database: TestDatabase) =>
  database.query<{ id: string; userId: string; sealedSecret: string }>(`SELECT id, "userId", "sealedSecret" FROM mfa_factor ORDER BY "createdAt"`);

const kidOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

describe('changing KEY_ENCRYPTION_KEY with KEY_ENCRYPTION_KEY_PREVIOUS and npm run secrets:reseal', () => {
  let database: TestDatabase;
  const apps: TestApp[] = [];
  const start = async (env: Record<string, string>, clock: StepClock) => {
    const t = await createTestApp(keyEnv(env), { clock: clock.now, database });
    apps.push(t);
    return t;
  };
  beforeAll(async () => {
    database = await createTestDatabase({ migrated: true });
  });
  afterAll(async () => {
    for (const t of apps) await t.close();
    await database?.drop();
  });

  it('keeps every second factor and the signing key working, and leaves nothing the old value opens', async () => {
    const clock = new StepClock();
    const before = await start({ KEY_ENCRYPTION_KEY: OLD }, clock);
    const early = await enroll(before, clock);
    const [signingKey] = await storedKeys(database);
    await before.close();
    apps.pop();

    // Step 1: the new value, the old one beside it. Old factors work; new ones are sealed under the new value.
    const both = { KEY_ENCRYPTION_KEY: NEW, KEY_ENCRYPTION_KEY_PREVIOUS: OLD };
    const during = await start(both, clock);
    expect(kidOf((await signIn(during, clock, early)).accessToken)).toBe(signingKey!.kid);
    const late = await enroll(during, clock);
    const sealedLate = (await factors(database))[1]!;
    expect(() => totpSecretEnvelope(NEW).open(sealedLate.sealedSecret, totpSecretContext(sealedLate))).not.toThrow();
    await during.close();
    apps.pop();

    // Step 2: the real command.
    const first = reseal(database.url, both);
    expect(first).toEqual({
      status: 0,
      stdout:
        'TOTP secrets: 1 resealed, 1 already under KEY_ENCRYPTION_KEY, 0 unreadable\n' +
        'signing keys: 1 resealed, 0 already under KEY_ENCRYPTION_KEY, 0 unreadable\n' +
        'passkeys: 0 resealed, 0 already under KEY_ENCRYPTION_KEY, 0 unreadable\n' +
        'webhook secrets: 0 resealed, 0 already under KEY_ENCRYPTION_KEY, 0 unreadable\n' +
        'every value is sealed under KEY_ENCRYPTION_KEY: remove KEY_ENCRYPTION_KEY_PREVIOUS now\n',
      stderr: '',
    });
    // A second run finds nothing to do.
    expect(reseal(database.url, both).stdout).toMatch(/^TOTP secrets: 0 resealed, 2 already .*\nsigning keys: 0 resealed, 1 already /);

    // Nothing in the database opens with the old value any more; everything opens with the new one.
    for (const row of await factors(database)) {
      expect(() => totpSecretEnvelope(OLD).open(row.sealedSecret, totpSecretContext(row))).toThrow(SealedValueError);
      expect(() => totpSecretEnvelope(NEW).open(row.sealedSecret, totpSecretContext(row))).not.toThrow();
    }
    const [resealedKey] = await storedKeys(database);
    expect(resealedKey!.kid).toBe(signingKey!.kid);
    expect(() => new KeyEncryption(OLD).decrypt(resealedKey!.privateKey, resealedKey!)).toThrow(KeyDecryptionError);

    // Step 3: the new value alone. Both users sign in with their authenticator; the same key signs.
    const after = await start({ KEY_ENCRYPTION_KEY: NEW }, clock);
    for (const user of [early, late]) {
      const tokens = await signIn(after, clock, user);
      expect(kidOf(tokens.accessToken)).toBe(signingKey!.kid);
      await request(after.app).get('/auth/me').set(bearer(tokens.accessToken)).expect(200);
    }
    // The command printed no secret.
    for (const secret of [early.secret, late.secret, sealedLate.sealedSecret, signingKey!.privateKey]) expect(first.stdout).not.toContain(secret);
  });

  it('leaves a value neither key opens as it is, names its user and exits 1', async () => {
    const clock = new StepClock();
    const lost = await start({ KEY_ENCRYPTION_KEY: OTHER, JWT_ALGORITHM: 'HS256' }, clock);
    const earlier = new Set((await factors(database)).map((factor) => factor.id));
    await enroll(lost, clock);
    const [unreadable] = (await factors(database)).filter((factor) => !earlier.has(factor.id));
    await lost.close();
    apps.pop();

    const result = reseal(database.url, { KEY_ENCRYPTION_KEY: NEW, KEY_ENCRYPTION_KEY_PREVIOUS: OLD });
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(`^TOTP secrets: 0 resealed, 2 already under KEY_ENCRYPTION_KEY, 1 unreadable \\(user ${unreadable!.userId}\\)\\n`),
    );
    expect(result.stderr).toMatch(/1 value\(s\) open with neither .* recovery code/);
    const [row] = (await factors(database)).filter((factor) => factor.id === unreadable!.id);
    expect(row!.sealedSecret).toBe(unreadable!.sealedSecret);
  });

  it('refuses arguments with its usage (exit 1), changing nothing', async () => {
    const before = await factors(database);
    expect(reseal(database.url, { KEY_ENCRYPTION_KEY: NEW, KEY_ENCRYPTION_KEY_PREVIOUS: OLD }, ['--force'])).toEqual({
      status: 1,
      stdout: '',
      stderr: 'usage: npm run secrets:reseal   (KEY_ENCRYPTION_KEY: the new value, KEY_ENCRYPTION_KEY_PREVIOUS: the old one)\n',
    });
    expect(await factors(database)).toEqual(before);
  });

  it('refuses a KEY_ENCRYPTION_KEY_PREVIOUS that is the current value, or without a current value, before touching anything', () => {
    const same = reseal(database.url, { KEY_ENCRYPTION_KEY: NEW, KEY_ENCRYPTION_KEY_PREVIOUS: NEW });
    expect(same).toEqual({
      status: 2,
      stdout: '',
      stderr:
        'config error: KEY_ENCRYPTION_KEY_PREVIOUS: is the same as KEY_ENCRYPTION_KEY: it holds the old value while KEY_ENCRYPTION_KEY holds the new one\n',
    });
    expect(reseal(database.url, { KEY_ENCRYPTION_KEY_PREVIOUS: OLD }).stderr).toMatch(/KEY_ENCRYPTION_KEY_PREVIOUS: is set but KEY_ENCRYPTION_KEY is not/);
    expect(reseal(database.url, { KEY_ENCRYPTION_KEY: NEW, KEY_ENCRYPTION_KEY_PREVIOUS: 'short', NODE_ENV: 'production' }).stderr).toMatch(
      /config error: KEY_ENCRYPTION_KEY_PREVIOUS: must be at least 32 bytes/,
    );
  });
});
