/**
 * Finding 2 of the v3 security review (medium): the checks of a password or a code behind a bearer
 * token (DELETE /auth/me, DELETE /auth/mfa/totp, POST /auth/password, POST /auth/email/change)
 * had no attempt limit, so a stolen session could guess its way to erasing the account. Each is now
 * an attempt on the account's login throttle: past the free failures the answer is 429 with
 * Retry-After, nothing changes, and the account's logins wait too.
 */
import request from 'supertest';
import { createTestApp, registerUser, STRONG_PASSWORD, type TestApp } from '../support/test-app';
import { bearer } from '../support/admin';
import { stepOf, totpAtStep } from '../mfa/totp-reference';

const FREE_FAILURES = 3;
const GUESSES = 12;

/** Statuses of `GUESSES` wrong answers in a row. */
async function guess(send: (i: number) => request.Test): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < GUESSES; i++) statuses.push((await send(i)).status);
  return statuses;
}

describe('reauthentication behind a bearer token counts on the account throttle', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ THROTTLE_ACCOUNT_FREE_FAILURES: String(FREE_FAILURES), THROTTLE_ACCOUNT_MAX_DELAY: '60' });
  });
  afterAll(() => t?.close());

  /** `wrong`: the endpoint's answer to a wrong password or code (401; a wrong code at DELETE /auth/mfa/totp is 400 invalid_code). */
  const expectThrottled = (statuses: number[], wrong = 401) => {
    expect(statuses.slice(0, FREE_FAILURES)).toEqual(Array(FREE_FAILURES).fill(wrong));
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(GUESSES - FREE_FAILURES - 1);
    expect(statuses.every((status) => status === wrong || status === 429)).toBe(true);
  };

  it('DELETE /auth/me: wrong passwords get 429 past the free failures, the account stays, and its logins wait too', async () => {
    const user = await registerUser(t.app);
    const statuses = await guess((i) =>
      request(t.app)
        .delete('/auth/me')
        .set(bearer(user.accessToken))
        .send({ currentPassword: `wrong guess ${i}` }),
    );
    expectThrottled(statuses);
    const refused = await request(t.app).delete('/auth/me').set(bearer(user.accessToken)).send({ currentPassword: STRONG_PASSWORD }).expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    await request(t.app).get('/auth/me').set(bearer(user.accessToken)).expect(200);
    await request(t.app).post('/auth/login').send({ email: user.email, password: STRONG_PASSWORD }).expect(429);
  });

  it('POST /auth/password: wrong current passwords get 429, and the password is unchanged', async () => {
    const user = await registerUser(t.app);
    const statuses = await guess((i) =>
      request(t.app)
        .post('/auth/password')
        .set(bearer(user.accessToken))
        .send({ currentPassword: `wrong guess ${i}`, newPassword: 'a brand new passphrase' }),
    );
    expectThrottled(statuses);
    const [row] = await t.database.query<{ changes: string }>(`SELECT count(*) AS changes FROM audit_event WHERE "userId" = $1 AND type = 'password.changed'`, [
      user.user.id,
    ]);
    expect(row!.changes).toBe('0');
  });

  it('POST /auth/email/change: wrong current passwords get 429, and no mail is queued', async () => {
    const user = await registerUser(t.app);
    const statuses = await guess((i) =>
      request(t.app)
        .post('/auth/email/change')
        .set(bearer(user.accessToken))
        .send({ newEmail: `new.${i}.${user.email}`, currentPassword: `wrong guess ${i}` }),
    );
    expectThrottled(statuses);
    expect(await t.database.query(`SELECT 1 FROM mail_outbox WHERE kind = 'change-email' AND recipient LIKE $1`, [`%${user.email}`])).toEqual([]);
  });

  it('DELETE /auth/mfa/totp: wrong codes get 429, and the factor stays', async () => {
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
    const verified = await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: login.body.mfaToken, code: totpAtStep(secret, step + 1) })
      .expect(200);
    const right = totpAtStep(secret, step + 1);
    const wrong = (i: number) => String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0');
    const statuses = await guess((i) =>
      request(t.app)
        .delete('/auth/mfa/totp')
        .set(bearer(verified.body.accessToken))
        .send({ code: wrong(i) }),
    );
    expectThrottled(statuses, 400);
    const me = await request(t.app).get('/auth/me').set(bearer(verified.body.accessToken)).expect(200);
    expect(me.body.user.mfaEnabled).toBe(true);
  });
});
