/**
 * A passkey as the second factor of an account with an active TOTP factor (the contract's
 * "Passkeys (v4)"): the mfaRequired body lists it, POST /auth/mfa/passkey/options gives the
 * account's passkeys, POST /auth/mfa/verify takes the assertion (amr pwd, hwk, mfa); and the
 * passkey endpoints that need the second factor when the account has one. Real HTTP, a real
 * database, TOTP codes from the tests' own reference, the software authenticator.
 */
import { createTestApp, registerUser, STRONG_PASSWORD, type TestApp } from '../support/test-app';
import { apiClient } from '../support/api-client';
import { bearer, claimsOf } from '../support/admin';
import { addedPasskey, newAuthenticator, signedInWithPasskey } from '../support/passkeys';
import { stepOf, totpAtStep } from '../mfa/totp-reference';
import request from 'supertest';

describe('passkeys as second factor', () => {
  // The middle of the current TOTP step, moved a step on for each code (a code is accepted once).
  let at = Math.floor(Date.now() / 30_000) * 30_000 + 15_000;
  const clock = () => new Date(at);
  const nextCode = (secret: string) => {
    at += 30_000;
    return totpAtStep(secret, stepOf(at));
  };
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ THROTTLE_ACCOUNT_FREE_FAILURES: '99' }, { clock });
  });
  afterAll(() => t.close());

  /** A user with an active TOTP factor (and the session that enabled it, amr pwd). */
  async function withTotp() {
    const user = await registerUser(t.app);
    const { secret } = (await request(t.app).post('/auth/mfa/totp/setup').set(bearer(user.accessToken)).expect(200)).body;
    await request(t.app)
      .post('/auth/mfa/totp/confirm')
      .set(bearer(user.accessToken))
      .send({ code: nextCode(secret) })
      .expect(200);
    return { ...user, secret: secret as string };
  }
  /** A password login of a TOTP account, passed with a code: a token with the second factor. */
  async function withSecondFactor(user: { email: string; secret: string }) {
    const { mfaToken } = (await apiClient(t.app).login({ email: user.email, password: STRONG_PASSWORD }).expect(200)).body;
    return (
      await apiClient(t.app)
        .mfaVerify({ mfaToken, code: nextCode(user.secret) })
        .expect(200)
    ).body.accessToken as string;
  }
  const mfaTokenOf = async (email: string, methods: string[]) => {
    const login = await apiClient(t.app).login({ email, password: STRONG_PASSWORD }).expect(200);
    expect(login.body).toEqual({ mfaRequired: true, mfaToken: expect.any(String), methods });
    return login.body.mfaToken as string;
  };

  it('needs the second factor to add or remove a passkey once the account has one, and not before', async () => {
    const plain = await registerUser(t.app);
    await apiClient(t.app).passkeyRegistrationOptions(plain.accessToken).expect(200);

    const user = await withTotp();
    // The session that enabled TOTP signed in with the password alone.
    expect(claimsOf(user.accessToken).amr).toEqual(['pwd']);
    const refused = await apiClient(t.app).passkeyRegistrationOptions(user.accessToken).expect(403);
    expect(refused.body.code).toBe('mfa_required');
    await apiClient(t.app)
      .registerPasskey(user.accessToken, {
        response: newAuthenticator().create((await apiClient(t.app).passkeyRegistrationOptions(plain.accessToken)).body.options),
      })
      .expect(403);

    const strong = await withSecondFactor(user);
    const device = newAuthenticator();
    const passkey = await addedPasskey(t.app, strong, device);
    // Listing and renaming need no second factor; removal does.
    await apiClient(t.app).passkeys(user.accessToken).expect(200);
    await apiClient(t.app).renamePasskey(user.accessToken, passkey.id, { name: 'Desk key' }).expect(200);
    expect((await apiClient(t.app).removePasskey(user.accessToken, passkey.id).expect(403)).body.code).toBe('mfa_required');
    // A passkey sign-in is a second factor too (amr hwk, mfa): it may remove a passkey.
    await addedPasskey(t.app, strong, newAuthenticator());
    const byPasskey = await signedInWithPasskey(t.app, device);
    await apiClient(t.app).removePasskey(byPasskey.accessToken, passkey.id).expect(204);
  });

  it('lists passkey among the methods, gives the options for the mfaToken, and completes the sign-in with amr pwd, hwk, mfa', async () => {
    const user = await withTotp();
    await mfaTokenOf(user.email, ['totp', 'recovery_code']);
    const device = newAuthenticator();
    await addedPasskey(t.app, await withSecondFactor(user), device);
    // Adding a passkey changed nothing about the factor.
    expect((await apiClient(t.app).me(user.accessToken).expect(200)).body.user.mfaEnabled).toBe(true);

    const mfaToken = await mfaTokenOf(user.email, ['totp', 'recovery_code', 'passkey']);
    const options = await apiClient(t.app).mfaPasskeyOptions({ mfaToken }).expect(200);
    expect(options.body.options).toMatchObject({
      rpId: 'localhost',
      userVerification: 'required',
      allowCredentials: [{ id: device.credentialIds()[0], type: 'public-key', transports: ['internal'] }],
    });
    const verified = await apiClient(t.app)
      .mfaVerify({ mfaToken, passkey: device.get(options.body.options) })
      .expect(200);
    expect(claimsOf(verified.body.accessToken).amr).toEqual(['pwd', 'hwk', 'mfa']);
    // The mfaToken is spent.
    await apiClient(t.app).mfaPasskeyOptions({ mfaToken }).expect(401);
    // A username-less passkey sign-in of the same account needs no code: it is two factors already.
    expect(claimsOf((await signedInWithPasskey(t.app, device)).accessToken).amr).toEqual(['hwk', 'mfa']);
  });

  it("refuses another account's passkey, a passkey answer to another mfaToken's options, and a replay, each as a wrong answer", async () => {
    const user = await withTotp();
    const device = newAuthenticator();
    await addedPasskey(t.app, await withSecondFactor(user), device);
    const stranger = await registerUser(t.app);
    const strangerDevice = newAuthenticator();
    await addedPasskey(t.app, stranger.accessToken, strangerDevice);

    const mfaToken = await mfaTokenOf(user.email, ['totp', 'recovery_code', 'passkey']);
    const options = (await apiClient(t.app).mfaPasskeyOptions({ mfaToken }).expect(200)).body.options;
    // The stranger's passkey, answering this mfaToken's options (its own user handle, a valid signature).
    const foreign = strangerDevice.get({ ...options, allowCredentials: [] });
    const wrong = await apiClient(t.app).mfaVerify({ mfaToken, passkey: foreign }).expect(401);
    expect(wrong.body.code).toBe('invalid_passkey');
    // Options of another sign-in of the same account do not answer this one.
    const otherToken = await mfaTokenOf(user.email, ['totp', 'recovery_code', 'passkey']);
    const otherOptions = (await apiClient(t.app).mfaPasskeyOptions({ mfaToken: otherToken }).expect(200)).body.options;
    await apiClient(t.app)
      .mfaVerify({ mfaToken, passkey: device.get(otherOptions) })
      .expect(401);
    // The right answer passes; the same answer again finds the mfaToken spent.
    const right = device.get(options);
    await apiClient(t.app).mfaVerify({ mfaToken, passkey: right }).expect(200);
    expect((await apiClient(t.app).mfaVerify({ mfaToken, passkey: right }).expect(401)).body.code).toBe('invalid_mfa_token');

    const failures = await t.database.query<{ data: Record<string, unknown> }>(
      `SELECT data FROM audit_event WHERE "userId" = $1 AND type = 'mfa.failed' ORDER BY at, id`,
      [user.user.id],
    );
    // One instant on the test's clock: ordered by their count.
    expect(failures.map((event) => event.data).sort((a, b) => Number(a.wrongCodes) - Number(b.wrongCodes))).toEqual([
      { method: 'passkey', wrongCodes: 1 },
      { method: 'passkey', wrongCodes: 2 },
    ]);
    const reasons = t
      .logs()
      .filter((line) => line.event === 'mfa.verify' && line.userId === user.user.id && line.reason && line.method === 'passkey' && !line.outcome)
      .map((line) => line.reason);
    // Another account's passkey is refused before the statement; another sign-in's challenge by it (the statement spends none).
    expect(reasons).toEqual(['other-account']);
  });

  it('answers 409 no_passkey for an account without one, 401 for an unknown mfaToken, 400 for a bad body', async () => {
    const user = await withTotp();
    const mfaToken = await mfaTokenOf(user.email, ['totp', 'recovery_code']);
    expect((await apiClient(t.app).mfaPasskeyOptions({ mfaToken }).expect(409)).body.code).toBe('no_passkey');
    expect((await apiClient(t.app).mfaPasskeyOptions({ mfaToken: 'unknown' }).expect(401)).body.code).toBe('invalid_mfa_token');
    await request(t.app).post('/auth/mfa/passkey/options').send({}).expect(400);
    const bad = await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken, passkey: { id: 'x' } })
      .expect(400);
    expect(bad.body.code).toBe('validation_failed');
  });
});
