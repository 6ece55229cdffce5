/**
 * A user's passkeys after registration (the contract's "Passkeys (v4)"): rename, removal with its
 * notice mail (delivered to a real SMTP server) and event, the last-way-in rule shared with
 * provider identities, the first proof of an unproved address removing passkeys, AdminUser.passkeys,
 * account deletion, and the per-IP throttle of the options that store a challenge.
 */
import request from 'supertest';
import { createTestApp, registerUser, type TestApp } from '../support/test-app';
import { createMailTestApp, type MailTestApp } from '../support/mail-app';
import { apiClient } from '../support/api-client';
import { bearer, registerAdmin } from '../support/admin';
import { addedPasskey, newAuthenticator, passkeySignIn, signedInWithPasskey } from '../support/passkeys';

describe('managing passkeys', () => {
  let t: MailTestApp;
  beforeAll(async () => {
    t = await createMailTestApp();
  });
  afterAll(() => t.close());

  /** An account that has no password (as a provider makes it): arranged in the database, as the OpenID Connect tests' accounts are. */
  const dropPassword = (userId: string) => t.database.query(`UPDATE "user" SET "passwordHash" = NULL WHERE id = $1`, [userId]);

  it('renames a passkey; refuses an empty, long or control-character name, and answers 404 for an id that is not one of the caller’s', async () => {
    const user = await registerUser(t.app);
    const passkey = await addedPasskey(t.app, user.accessToken, newAuthenticator(), { name: 'Old' });
    const renamed = await apiClient(t.app).renamePasskey(user.accessToken, passkey.id, { name: '  Work laptop ' }).expect(200);
    expect(renamed.body.passkey).toEqual({ ...passkey, name: 'Work laptop' });
    for (const name of ['', ' ', 'x'.repeat(65), 'a\u0007b']) {
      const bad = await apiClient(t.app).renamePasskey(user.accessToken, passkey.id, { name }).expect(400);
      expect(bad.body.errors).toEqual([expect.objectContaining({ path: 'name' })]);
    }
    const other = await registerUser(t.app);
    for (const id of [passkey.id, '00000000-0000-4000-8000-000000000000', 'not-an-id']) {
      await apiClient(t.app).renamePasskey(other.accessToken, id, { name: 'Mine' }).expect(404);
      await apiClient(t.app).removePasskey(other.accessToken, id).expect(404);
    }
    await apiClient(t.app).passkeys('not a token').expect(401);
  });

  it('removes a passkey: it no longer signs in, a passkey.removed event, and notice mails for adding and removing it', async () => {
    const user = await registerUser(t.app);
    const device = newAuthenticator();
    const passkey = await addedPasskey(t.app, user.accessToken, device, { name: 'Old phone' });
    await signedInWithPasskey(t.app, device);
    await apiClient(t.app).removePasskey(user.accessToken, passkey.id).expect(204);
    expect((await apiClient(t.app).passkeys(user.accessToken).expect(200)).body.passkeys).toEqual([]);
    expect((await passkeySignIn(t.app, device)).response.status).toBe(401);
    const [removed] = await t.database.query<{ data: unknown }>(`SELECT data FROM audit_event WHERE "userId" = $1 AND type = 'passkey.removed'`, [
      user.user.id,
    ]);
    expect(removed!.data).toEqual({ passkeyId: passkey.id });

    const mails = await t.smtp.waitFor((mail) => mail.to === user.email && /passkey/.test(mail.subject), 2);
    expect(mails.map((mail) => mail.subject).sort()).toEqual([
      'A passkey was added to your account - Test Product',
      'A passkey was removed from your account - Test Product',
    ]);
    expect(mails.find((mail) => /removed/.test(mail.subject))!.text).toContain('"Old phone"');
  });

  it("refuses to remove the account's last way in, counting the password, provider identities and passkeys together", async () => {
    const user = await registerUser(t.app);
    const first = await addedPasskey(t.app, user.accessToken, newAuthenticator());
    const second = await addedPasskey(t.app, user.accessToken, newAuthenticator());
    await dropPassword(user.user.id);
    await apiClient(t.app).removePasskey(user.accessToken, first.id).expect(204);
    const refused = await apiClient(t.app).removePasskey(user.accessToken, second.id).expect(409);
    expect(refused.body.code).toBe('last_sign_in_method');
    expect((await apiClient(t.app).passkeys(user.accessToken).expect(200)).body.passkeys).toHaveLength(1);

    // An identity at a provider is a way in too: with it, the passkey may go; then the identity is the last.
    const [identity] = await t.database.query<{ id: string }>(
      `INSERT INTO user_identity (id, "userId", provider, subject, email) VALUES (gen_random_uuid(), $1, 'acme', $2, NULL) RETURNING id`,
      [user.user.id, `subject-${user.user.id}`],
    );
    await apiClient(t.app).removePasskey(user.accessToken, second.id).expect(204);
    expect((await request(t.app).delete(`/auth/identities/${identity!.id}`).set(bearer(user.accessToken)).expect(409)).body.code).toBe('last_sign_in_method');
    // And a passkey lets the identity go.
    await addedPasskey(t.app, user.accessToken, newAuthenticator());
    await request(t.app).delete(`/auth/identities/${identity!.id}`).set(bearer(user.accessToken)).expect(204);
  });

  it('loses its passkeys at the first proof of an unproved address (a password reset link): whoever registered it keeps no way in', async () => {
    const squatter = await registerUser(t.app);
    const device = newAuthenticator();
    await addedPasskey(t.app, squatter.accessToken, device);
    await request(t.app).post('/auth/password/forgot').send({ email: squatter.email }).expect(202);
    const [mail] = await t.smtp.waitFor((received) => received.to === squatter.email && /Reset your password/.test(received.subject));
    await request(t.app).post('/auth/password/reset').send({ token: mail!.token, newPassword: 'the owner chose this one' }).expect(204);
    expect((await passkeySignIn(t.app, device)).response.status).toBe(401);
    expect(await t.database.query(`SELECT 1 FROM passkey WHERE "userId" = $1`, [squatter.user.id])).toEqual([]);
  });

  it('counts passkeys in AdminUser, and erases them with the account', async () => {
    const user = await registerUser(t.app);
    await addedPasskey(t.app, user.accessToken, newAuthenticator());
    await addedPasskey(t.app, user.accessToken, newAuthenticator());
    const admin = await registerAdmin(t);
    const viewed = await request(t.app).get(`/admin/users/${user.user.id}`).set(bearer(admin.accessToken)).expect(200);
    expect(viewed.body.user.passkeys).toBe(2);
    const listed = await request(t.app)
      .get(`/admin/users?search=${encodeURIComponent(user.email)}`)
      .set(bearer(admin.accessToken))
      .expect(200);
    expect(listed.body.users).toEqual([expect.objectContaining({ id: user.user.id, passkeys: 2 })]);
    await request(t.app).delete('/auth/me').set(bearer(user.accessToken)).send({ currentPassword: user.password }).expect(204);
    expect(await t.database.query(`SELECT 1 FROM passkey WHERE "userId" = $1`, [user.user.id])).toEqual([]);
  });
});

describe('passkey options throttled per client IP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ THROTTLE_IP_MAX: '2' });
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After past THROTTLE_IP_MAX sign-in options, and stores no challenge for them', async () => {
    await apiClient(t.app).passkeySignInOptions().expect(200).expect('RateLimit-Limit', '2');
    await apiClient(t.app).passkeySignInOptions().expect(200);
    const refused = await apiClient(t.app).passkeySignInOptions().expect(429);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(await t.database.query(`SELECT count(*)::int AS n FROM passkey_challenge`)).toEqual([{ n: 2 }]);
    // Second-factor options count on the same limit: both store a challenge for whoever asks.
    await apiClient(t.app).mfaPasskeyOptions({ mfaToken: 'unknown' }).expect(429);
  });
});
