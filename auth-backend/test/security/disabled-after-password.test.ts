/**
 * Finding 3 of the v3 security review: POST /auth/mfa/verify signed in an account that an
 * administrator disabled after its password step (dead tokens, a user.login event, lastSignInAt
 * written). Every door ends in the one sign-in pipeline now, which refuses it: 403
 * account_disabled, no tokens, no session, no user.login event, lastSignInAt untouched.
 */
import request from 'supertest';
import { createTestApp, registerUser, STRONG_PASSWORD, type TestApp } from '../support/test-app';
import { bearer, registerAdmin } from '../support/admin';
import { stepOf, totpAtStep } from '../mfa/totp-reference';

describe('POST /auth/mfa/verify of an account disabled after its password step', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ ADMIN_REQUIRE_MFA: 'false' });
  });
  afterAll(() => t?.close());

  it('answers 403 account_disabled and signs nothing in', async () => {
    const user = await registerUser(t.app);
    const setup = await request(t.app).post('/auth/mfa/totp/setup').set(bearer(user.accessToken)).expect(200);
    const secret = setup.body.secret as string;
    const step = stepOf(Date.now());
    await request(t.app)
      .post('/auth/mfa/totp/confirm')
      .set(bearer(user.accessToken))
      .send({ code: totpAtStep(secret, step) })
      .expect(200);
    const login = await request(t.app).post('/auth/login').send({ email: user.email, password: STRONG_PASSWORD }).expect(200);
    expect(login.body).toMatchObject({ mfaRequired: true });

    const admin = await registerAdmin(t);
    await request(t.app).patch(`/admin/users/${user.user.id}`).set(bearer(admin.accessToken)).send({ disabled: true }).expect(200);
    const before = await t.database.query(`SELECT "lastSignInAt" FROM "user" WHERE id = $1`, [user.user.id]);
    const sessionsBefore = await t.database.query(`SELECT id FROM session WHERE "userId" = $1`, [user.user.id]);

    const verify = await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: login.body.mfaToken, code: totpAtStep(secret, step + 1) })
      .expect(403);
    expect(verify.body).toMatchObject({ code: 'account_disabled' });
    expect(verify.body.accessToken).toBeUndefined();
    expect(await t.database.query(`SELECT "lastSignInAt" FROM "user" WHERE id = $1`, [user.user.id])).toEqual(before);
    expect(await t.database.query(`SELECT id FROM session WHERE "userId" = $1`, [user.user.id])).toEqual(sessionsBefore);
    const logins = await t.database.query(
      `SELECT 1 FROM audit_event WHERE "userId" = $1 AND type = 'user.login' AND at > now() - interval '1 minute' AND data->>'amr' LIKE '%otp%'`,
      [user.user.id],
    );
    expect(logins).toEqual([]);
  });
});
