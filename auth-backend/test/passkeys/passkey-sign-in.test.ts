/**
 * Passkeys as a first factor (the contract's "Passkeys (v4)"): registration and the username-less
 * sign-in through the JSON API, on a real database, with a software authenticator
 * (support/software-authenticator.ts) playing the browser. Each refusal is provoked for real (an
 * answer from another origin, for another RP id, to a spent challenge...) and must give the one
 * 401 invalid_passkey body, with its cause on the log line only.
 */
import request from 'supertest';
import { createTestApp, registerUser, type TestApp } from '../support/test-app';
import { apiClient } from '../support/api-client';
import { bearer, claimsOf, registerAdmin } from '../support/admin';
import { addPasskey, addedPasskey, newAuthenticator, passkeySignIn, signedInWithPasskey, TEST_ORIGIN } from '../support/passkeys';
import type { SoftwareAuthenticator } from '../support/software-authenticator';
import { statementsSent } from '../support/statements-sent';

/** The service's clock, moved forward by the tests that need a challenge to expire. */
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);

/** Every authenticator of this file: none of their credential ids may reach a log line or the database in the clear. */
const authenticators: SoftwareAuthenticator[] = [];
const authenticator = (origin?: string) => {
  const made = newAuthenticator(origin);
  authenticators.push(made);
  return made;
};

describe('passkeys: registration and username-less sign-in', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({}, { clock });
  });
  afterAll(() => t.close());

  /** The passkey sign-in log lines' reasons, newest last. */
  const refusalReasons = () =>
    t
      .logs()
      .filter((line) => line.event === 'passkey.sign-in' && line.outcome === 'failure')
      .map((line) => line.reason);
  /** Signs up a user with one passkey. */
  const userWithPasskey = async () => {
    const user = await registerUser(t.app);
    const device = authenticator();
    const passkey = await addedPasskey(t.app, user.accessToken, device);
    return { user, device, passkey };
  };
  /** The one body of a refused assertion, whatever its cause. */
  const expectRefused = async (response: PromiseLike<request.Response> | request.Response, reason: string) => {
    const refused = await response;
    expect(refused.status).toBe(401);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body).toEqual({
      type: 'about:blank',
      title: 'Invalid passkey',
      status: 401,
      detail: 'The passkey could not be verified; try again, or sign in another way.',
      code: 'invalid_passkey',
    });
    expect(refusalReasons().at(-1)).toBe(reason);
  };

  it('registers a discoverable passkey with options that name the RP id, then signs in with it, username-less, with amr hwk and mfa', async () => {
    const user = await registerUser(t.app);
    const options = await apiClient(t.app).passkeyRegistrationOptions(user.accessToken).expect(200);
    expect(options.headers['cache-control']).toBe('no-store');
    expect(options.body.options).toMatchObject({
      rp: { id: 'localhost', name: 'auth-backend' },
      user: { id: Buffer.from(user.user.id).toString('base64url'), name: user.email, displayName: user.email },
      challenge: expect.stringMatching(/^[\w-]{43}$/),
      pubKeyCredParams: [-8, -7, -257].map((alg) => ({ type: 'public-key', alg })),
      excludeCredentials: [],
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      attestation: 'none',
      timeout: 300_000,
    });

    const device = authenticator();
    const registered = await apiClient(t.app)
      .registerPasskey(user.accessToken, { response: device.create(options.body.options), name: 'Laptop' })
      .expect(201);
    expect(registered.body.passkey).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Laptop',
      createdAt: expect.any(String),
      lastUsedAt: null,
      deviceType: 'singleDevice',
      backedUp: false,
      transports: ['internal'],
    });
    // The id is the service's own, never the credential id.
    expect(registered.body.passkey.id).not.toBe(device.credentialIds()[0]);
    // A way in of its own: the second factor stays off.
    expect((await apiClient(t.app).me(user.accessToken).expect(200)).body.user.mfaEnabled).toBe(false);

    const signInOptions = await apiClient(t.app).passkeySignInOptions().expect(200);
    expect(signInOptions.body).toEqual({
      challengeId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      options: expect.objectContaining({ rpId: 'localhost', allowCredentials: [], userVerification: 'required', challenge: expect.any(String) }),
    });
    const signedIn = await apiClient(t.app)
      .passkeySignIn({ challengeId: signInOptions.body.challengeId, response: device.get(signInOptions.body.options) })
      .set('User-Agent', 'passkey-test/1.0')
      .expect(200);
    expect(signedIn.headers['cache-control']).toBe('no-store');
    expect(signedIn.body).toEqual({
      user: expect.objectContaining({ id: user.user.id, email: user.email }),
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: expect.any(Number),
    });
    expect(claimsOf(signedIn.body.accessToken).amr).toEqual(['hwk', 'mfa']);
    // A session like any other: listed, refreshable with the same amr.
    const sessions = await apiClient(t.app).sessions(signedIn.body.accessToken).expect(200);
    expect(sessions.body.sessions).toContainEqual(expect.objectContaining({ current: true, userAgent: 'passkey-test/1.0' }));
    const refreshed = await apiClient(t.app).refresh({ refreshToken: signedIn.body.refreshToken }).expect(200);
    expect(claimsOf(refreshed.body.accessToken).amr).toEqual(['hwk', 'mfa']);
    // The use is recorded; the sign-in is a user.login through the one pipeline.
    const [listed] = (await apiClient(t.app).passkeys(user.accessToken).expect(200)).body.passkeys;
    expect(listed.lastUsedAt).toEqual(expect.any(String));
    const [login] = await t.database.query<{ data: Record<string, unknown> }>(
      `SELECT data FROM audit_event WHERE "userId" = $1 AND type = 'user.login' ORDER BY at DESC LIMIT 1`,
      [user.user.id],
    );
    expect(login!.data).toMatchObject({ door: 'passkey', amr: ['hwk', 'mfa'] });
    const [added] = await t.database.query<{ data: Record<string, unknown> }>(`SELECT data FROM audit_event WHERE "userId" = $1 AND type = 'passkey.added'`, [
      user.user.id,
    ]);
    expect(added!.data).toEqual({ passkeyId: registered.body.passkey.id, deviceType: 'singleDevice', backedUp: false });
    // The notice mail, queued with the passkey.
    const mail = await t.database.query<{ subject: string; textBody: string }>(
      `SELECT subject, "textBody" FROM mail_outbox WHERE recipient = $1 AND kind = 'passkey-added'`,
      [user.email],
    );
    expect(mail).toEqual([{ subject: expect.stringMatching(/^A passkey was added to your account/), textBody: expect.stringContaining('"Laptop"') }]);
  });

  it("lists the account's passkeys in excludeCredentials, so an authenticator makes no second one", async () => {
    const { user, device } = await userWithPasskey();
    const options = await apiClient(t.app).passkeyRegistrationOptions(user.accessToken).expect(200);
    expect(options.body.options.excludeCredentials).toEqual([{ id: device.credentialIds()[0], type: 'public-key', transports: ['internal'] }]);
    expect(() => device.create(options.body.options)).toThrow(/InvalidStateError/);
    // Another authenticator of the same user adds a second one.
    await addedPasskey(t.app, user.accessToken, authenticator(), { name: 'Phone' });
    expect((await apiClient(t.app).passkeys(user.accessToken).expect(200)).body.passkeys.map((p: { name: string }) => p.name)).toEqual([
      expect.stringMatching(/^Passkey added \d{4}-\d{2}-\d{2}$/),
      'Phone',
    ]);
  });

  it('refuses a registration from another origin, for another RP id, without user verification or presence, or with an algorithm not offered', async () => {
    const user = await registerUser(t.app);
    const attempts = [
      { origin: 'https://evil.example' },
      { rpId: 'evil.example' },
      { userVerified: false },
      { userPresent: false },
      { algorithm: 'ES384' as const },
    ];
    for (const overrides of attempts) {
      const refused = await addPasskey(t.app, user.accessToken, authenticator(), overrides);
      expect(refused.body).toMatchObject({ status: 400, code: 'invalid_passkey' });
    }
    const reasons = t
      .logs()
      .filter((line) => line.event === 'passkey.register' && line.userId === user.user.id)
      .map((line) => line.reason);
    expect(reasons).toEqual(['origin', 'rp-id', 'user-verification', 'user-presence', 'algorithm']);
    expect((await apiClient(t.app).passkeys(user.accessToken).expect(200)).body.passkeys).toEqual([]);
  });

  it("refuses a registration to a spent challenge, to another user's options, and a credential registered already (to anyone)", async () => {
    const user = await registerUser(t.app);
    const other = await registerUser(t.app);
    const device = authenticator();
    const options = (await apiClient(t.app).passkeyRegistrationOptions(user.accessToken).expect(200)).body.options;
    const response = device.create(options);
    await apiClient(t.app).registerPasskey(user.accessToken, { response }).expect(201);
    // The same response again: its challenge is spent.
    expect((await apiClient(t.app).registerPasskey(user.accessToken, { response }).expect(400)).body.code).toBe('invalid_passkey');
    // Options issued to one user do not register for another.
    const forUser = (await apiClient(t.app).passkeyRegistrationOptions(user.accessToken).expect(200)).body.options;
    await apiClient(t.app)
      .registerPasskey(other.accessToken, { response: authenticator().create(forUser) })
      .expect(400);
    // The first user's credential id, sent again on the other's options: already registered.
    const duplicate = await addPasskey(t.app, other.accessToken, authenticator(), { credentialId: device.credentialIds()[0] });
    expect(duplicate.body).toMatchObject({ status: 400, code: 'invalid_passkey' });
    const reasons = t
      .logs()
      .filter((line) => line.event === 'passkey.register' && line.outcome === 'failure')
      .slice(-3)
      .map((line) => line.reason);
    expect(reasons).toEqual(['challenge', 'challenge', 'already-registered']);
    expect(await t.database.query(`SELECT 1 FROM passkey WHERE "userId" = $1`, [other.user.id])).toEqual([]);
  });

  it('refuses an assertion from another origin, for another RP id, or without user verification, with one 401 body', async () => {
    const { device } = await userWithPasskey();
    await expectRefused((await passkeySignIn(t.app, device, { origin: 'https://evil.example' })).response, 'origin');
    await expectRefused((await passkeySignIn(t.app, device, { rpId: 'evil.example' })).response, 'rp-id');
    await expectRefused((await passkeySignIn(t.app, device, { userVerified: false })).response, 'user-verification');
    await expectRefused((await passkeySignIn(t.app, device, { userPresent: false })).response, 'user-presence');
    // The passkey still works.
    await signedInWithPasskey(t.app, device);
  });

  it('refuses a spent challenge, a replayed assertion, an expired challenge, and a challenge that is not the one signed', async () => {
    const { device } = await userWithPasskey();
    const { body } = await passkeySignIn(t.app, device);
    // The very same request again: its challenge is spent.
    await expectRefused(apiClient(t.app).passkeySignIn(body), 'challenge');
    // The same assertion on a fresh challengeId: it signed another challenge.
    const fresh = (await apiClient(t.app).passkeySignInOptions().expect(200)).body;
    await expectRefused(apiClient(t.app).passkeySignIn({ challengeId: fresh.challengeId, response: body.response }), 'challenge');
    // ...and that challengeId is spent now, whatever the answer was.
    await expectRefused(apiClient(t.app).passkeySignIn({ challengeId: fresh.challengeId, response: device.get(fresh.options) }), 'challenge');
    // Unknown challengeId.
    await expectRefused(
      apiClient(t.app).passkeySignIn({ challengeId: '00000000-0000-4000-8000-000000000000', response: device.get(fresh.options) }),
      'challenge',
    );
    // Five minutes later a challenge is dead.
    const late = (await apiClient(t.app).passkeySignInOptions().expect(200)).body;
    offsetMs += 5 * 60_000 + 1000;
    try {
      await expectRefused(apiClient(t.app).passkeySignIn({ challengeId: late.challengeId, response: device.get(late.options) }), 'challenge');
    } finally {
      offsetMs = 0;
    }
  });

  it('refuses an unknown passkey, and a user handle that is not the passkey owner or is missing', async () => {
    const { device } = await userWithPasskey();
    const stranger = authenticator();
    stranger.create({
      rp: { id: 'localhost', name: 'x' },
      user: { id: 'c29tZW9uZQ', name: 'x', displayName: 'x' },
      challenge: 'AAAA',
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    });
    await expectRefused((await passkeySignIn(t.app, stranger)).response, 'unknown-credential');
    await expectRefused((await passkeySignIn(t.app, device, { omitUserHandle: true })).response, 'user-handle');
    const { body } = await passkeySignIn(t.app, device);
    const fresh = (await apiClient(t.app).passkeySignInOptions().expect(200)).body;
    const forged = device.get(fresh.options);
    forged.response.userHandle = Buffer.from('00000000-0000-4000-8000-000000000000').toString('base64url');
    await expectRefused(apiClient(t.app).passkeySignIn({ challengeId: fresh.challengeId, response: forged }), 'user-handle');
    expect(body.response.response.userHandle).toBeDefined();
  });

  it('refuses a counter that goes backwards or stands still, and records passkey.clone_suspected; a synced passkey (counter 0) signs in again and again', async () => {
    const { user, device, passkey } = await userWithPasskey();
    await signedInWithPasskey(t.app, device, { counter: 5 });
    await expectRefused((await passkeySignIn(t.app, device, { counter: 3 })).response, 'counter');
    await expectRefused((await passkeySignIn(t.app, device, { counter: 5 })).response, 'counter');
    const events = await t.database.query<{ data: Record<string, unknown> }>(
      `SELECT data FROM audit_event WHERE "userId" = $1 AND type = 'passkey.clone_suspected' ORDER BY at, id`,
      [user.user.id],
    );
    expect(events.map((event) => event.data)).toEqual([
      { passkeyId: passkey.id, counter: 3, storedCounter: 5 },
      { passkeyId: passkey.id, counter: 5, storedCounter: 5 },
    ]);
    // The counter moving on is accepted again.
    await signedInWithPasskey(t.app, device, { counter: 6 });
    // A forged signature makes no such event: only a valid one can.
    const fresh = (await apiClient(t.app).passkeySignInOptions().expect(200)).body;
    const forged = device.get(fresh.options, { counter: 1 });
    const signature = Buffer.from(forged.response.signature, 'base64url');
    signature[signature.length - 1]! ^= 0x01; // still DER, no longer the signature
    forged.response.signature = signature.toString('base64url');
    await expectRefused(apiClient(t.app).passkeySignIn({ challengeId: fresh.challengeId, response: forged }), 'signature');
    expect((await t.database.query(`SELECT 1 FROM audit_event WHERE "userId" = $1 AND type = 'passkey.clone_suspected'`, [user.user.id])).length).toBe(2);

    const synced = await registerUser(t.app);
    const phone = authenticator();
    const syncedPasskey = await addedPasskey(t.app, synced.accessToken, phone, { synced: true });
    expect(syncedPasskey).toMatchObject({ deviceType: 'multiDevice', backedUp: true });
    await signedInWithPasskey(t.app, phone);
    await signedInWithPasskey(t.app, phone);
  });

  it('signs in with one statement, the attempt counted in it, and a refused sign-in leaves nothing of that statement behind', async () => {
    const { user, device } = await userWithPasskey();
    await signedInWithPasskey(t.app, device); // the passkey's key is kept from now on
    const { options, challengeId } = (await apiClient(t.app).passkeySignInOptions().expect(200)).body;
    const sent = await statementsSent(t.db.pool, () =>
      apiClient(t.app)
        .passkeySignIn({ challengeId, response: device.get(options) })
        .expect(200),
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/INSERT INTO rate_limit/);
    expect(sent[0]).toMatch(/INSERT INTO session/);

    // A disabled account: the one statement refuses and changes nothing; the ordinary steps then say why (and spend, record, refuse).
    const before = await t.database.query<{ counter: string; lastUsedAt: Date }>(`SELECT counter, "lastUsedAt" FROM passkey WHERE "userId" = $1`, [
      user.user.id,
    ]);
    const admin = await registerAdmin(t);
    await request(t.app).patch(`/admin/users/${user.user.id}`).set(bearer(admin.accessToken)).send({ disabled: true }).expect(200);
    const sessions = async () => (await t.database.query(`SELECT 1 FROM session WHERE "userId" = $1`, [user.user.id])).length;
    const open = await sessions();
    const { response: refused } = await passkeySignIn(t.app, device);
    expect(refused.status).toBe(403);
    expect(await sessions()).toBe(open);
    const after = await t.database.query<{ lastUsedAt: Date }>(`SELECT "lastUsedAt" FROM passkey WHERE "userId" = $1`, [user.user.id]);
    expect(after[0]!.lastUsedAt.getTime()).toBeGreaterThan(before[0]!.lastUsedAt.getTime());
    expect(
      (await t.database.query(`SELECT 1 FROM audit_event WHERE "userId" = $1 AND type = 'user.login' AND at > $2`, [user.user.id, before[0]!.lastUsedAt]))
        .length,
    ).toBe(0);
  });

  it('refuses a disabled account with 403 account_disabled, no session and a user.login_failed event', async () => {
    const { user, device } = await userWithPasskey();
    const admin = await registerAdmin(t);
    await request(t.app).patch(`/admin/users/${user.user.id}`).set(bearer(admin.accessToken)).send({ disabled: true }).expect(200);
    const { response: refused } = await passkeySignIn(t.app, device);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('account_disabled');
    const [failed] = await t.database.query<{ data: Record<string, unknown> }>(
      `SELECT data FROM audit_event WHERE "userId" = $1 AND type = 'user.login_failed'`,
      [user.user.id],
    );
    expect(failed!.data).toEqual({ reason: 'account-disabled', door: 'passkey' });
    await request(t.app).patch(`/admin/users/${user.user.id}`).set(bearer(admin.accessToken)).send({ disabled: false }).expect(200);
    await signedInWithPasskey(t.app, device);
  });

  it('answers 400 for a body that is not an assertion, with the field named', async () => {
    const fresh = (await apiClient(t.app).passkeySignInOptions().expect(200)).body;
    const bad = await request(t.app)
      .post('/auth/passkeys/authentication')
      .send({ challengeId: fresh.challengeId, response: { id: 'not base64url!', rawId: 'x', type: 'public-key', response: {} } })
      .expect(400);
    expect(bad.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'response.id' })]));
    await request(t.app).post('/auth/passkeys/authentication').send({ challengeId: 'nope', response: {} }).expect(400);
  });

  it('keeps every credential id off the log lines and out of the database in the clear', async () => {
    const ids = authenticators.flatMap((device) => device.credentialIds());
    expect(ids.length).toBeGreaterThan(10);
    const logs = t.logText();
    const rows = (await t.database.query<{ row: string }>(`SELECT p::text AS row FROM passkey p`)).map((r) => r.row).join('\n');
    const events = (await t.database.query<{ data: string }>(`SELECT data::text FROM audit_event`)).map((r) => r.data).join('\n');
    for (const id of ids) {
      const hex = Buffer.from(id, 'base64url').toString('hex');
      for (const text of [logs, rows, events]) {
        expect(text).not.toContain(id);
        expect(text).not.toContain(hex);
      }
    }
    expect(TEST_ORIGIN).toBe('http://localhost:3000');
  });
});

describe('passkey sign-in throttled per client IP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ THROTTLE_IP_MAX: '3' });
  });
  afterAll(() => t.close());

  it('counts every attempt on the IP login window (in the sign-in statement or on its own) and answers 429 past it, changing nothing', async () => {
    const user = await registerUser(t.app);
    const device = newAuthenticator();
    await addedPasskey(t.app, user.accessToken, device);
    const options = async () => (await apiClient(t.app).passkeySignInOptions().expect(200)).body;
    const [first, second, third] = [await options(), await options(), await options()];
    const points = async () => (await t.database.query<{ points: number }>(`SELECT points FROM rate_limit WHERE key LIKE 'ip-login:%'`))[0]?.points;

    // 1: a sign-in, counted by its own statement.
    await apiClient(t.app)
      .passkeySignIn({ challengeId: first.challengeId, response: device.get(first.options) })
      .expect(200);
    expect(await points()).toBe(1);
    // 2: a valid signature over another challenge than challengeId's: counted when the ordinary steps say why.
    await apiClient(t.app)
      .passkeySignIn({ challengeId: first.challengeId, response: device.get(second.options) })
      .expect(401);
    expect(await points()).toBe(2);
    // 3: a signature that does not verify: counted before anything else.
    const forged = device.get(third.options);
    forged.response.signature = Buffer.from(forged.response.signature, 'base64url').reverse().toString('base64url');
    await apiClient(t.app).passkeySignIn({ challengeId: third.challengeId, response: forged }).expect(401);
    expect(await points()).toBe(3);

    // 4: past the limit, a perfectly good answer is refused, and nothing of it happens.
    const sessions = async () => (await t.database.query(`SELECT 1 FROM session WHERE "userId" = $1`, [user.user.id])).length;
    const before = { sessions: await sessions(), passkey: await t.database.query(`SELECT counter, "lastUsedAt" FROM passkey`) };
    const refused = await apiClient(t.app)
      .passkeySignIn({ challengeId: second.challengeId, response: device.get(second.options) })
      .expect(429);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.body.code).toBe('throttled');
    expect(await sessions()).toBe(before.sessions);
    expect(await t.database.query(`SELECT counter, "lastUsedAt" FROM passkey`)).toEqual(before.passkey);
    expect(await t.database.query(`SELECT 1 FROM passkey_challenge WHERE id = $1 AND "usedAt" IS NULL`, [second.challengeId])).toHaveLength(1);
  });
});

describe('passkey sign-in with REQUIRE_VERIFIED_EMAIL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ REQUIRE_VERIFIED_EMAIL: 'true' });
  });
  afterAll(() => t.close());

  it('refuses an unproved address with 403 email_not_verified, as the pipeline does for every door, and signs in once it is proved', async () => {
    const user = await registerUser(t.app);
    const device = newAuthenticator();
    await addedPasskey(t.app, user.accessToken, device);
    const { response } = await passkeySignIn(t.app, device);
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('email_not_verified');
    await t.database.query(`UPDATE "user" SET "emailVerifiedAt" = now() WHERE id = $1`, [user.user.id]);
    await signedInWithPasskey(t.app, device);
  });
});
