import request from 'supertest';
import { registerUser, uniqueEmail, STRONG_PASSWORD } from '../support/test-app';
import { createMailTestApp, TEST_APP_URL, type MailTestApp } from '../support/mail-app';
import type { ReceivedMail } from '../support/test-smtp';

const NEW_PASSWORD = 'another perfectly good passphrase';
const to = (email: string, kind: RegExp) => (mail: ReceivedMail) => mail.to === email && kind.test(mail.subject);
const RESET = /Reset your password/;
const VERIFY = /Verify your email address/;

describe('email verification and account recovery', () => {
  let t: MailTestApp;
  beforeAll(async () => {
    t = await createMailTestApp();
  });
  afterAll(() => t.close());

  async function resetMail(email: string, count = 1) {
    await request(t.app).post('/auth/password/forgot').send({ email }).expect(202);
    const mails = await t.smtp.waitFor(to(email, RESET), count);
    return mails[count - 1]!;
  }

  describe('POST /auth/register', () => {
    it('mails a verification link that verifies the address, and verifying twice is not an error', async () => {
      const { email, user, accessToken } = await registerUser(t.app);
      expect(user).toMatchObject({ emailVerified: false });

      const [mail] = await t.smtp.waitFor(to(email, VERIFY));
      expect(mail!.subject).toBe('Verify your email address - Test Product');
      expect(mail!.text).toContain('Test Product');
      expect(mail!.link).toMatch(new RegExp(`^${TEST_APP_URL}/verify-email\\?token=[A-Za-z0-9_-]{43}$`));

      const verified = await request(t.app).post('/auth/email/verify').send({ token: mail!.token }).expect(200);
      expect(verified.body.user).toMatchObject({ id: user.id, email, emailVerified: true });
      const me = await request(t.app).get('/auth/me').set('Authorization', `Bearer ${accessToken}`).expect(200);
      expect(me.body.user.emailVerified).toBe(true);
      await request(t.app).post('/auth/email/verify').send({ token: mail!.token }).expect(200);
    });

    it('answers 400 invalid_token for an unknown verification token', async () => {
      const response = await request(t.app)
        .post('/auth/email/verify')
        .send({ token: 'x'.repeat(43) })
        .expect(400);
      expect(response.body).toMatchObject({ code: 'invalid_token', status: 400 });
    });
  });

  describe('POST /auth/password/forgot and /auth/password/reset', () => {
    it('resets the password once: the new one logs in, the old one and every old session are dead, a notice is mailed', async () => {
      const { email, refreshToken, accessToken } = await registerUser(t.app);
      const mail = await resetMail(email);
      expect(mail.link).toMatch(new RegExp(`^${TEST_APP_URL}/reset-password\\?token=`));

      await request(t.app).post('/auth/password/reset').send({ token: mail.token, newPassword: NEW_PASSWORD }).expect(204);

      await request(t.app).post('/auth/login').send({ email, password: NEW_PASSWORD }).expect(200);
      await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(401);
      await request(t.app).post('/auth/refresh').send({ refreshToken }).expect(401);
      await request(t.app).get('/auth/me').set('Authorization', `Bearer ${accessToken}`).expect(401);
      const again = await request(t.app).post('/auth/password/reset').send({ token: mail.token, newPassword: 'yet another good passphrase' }).expect(400);
      expect(again.body.code).toBe('invalid_token');
      await request(t.app).post('/auth/login').send({ email, password: NEW_PASSWORD }).expect(200);

      const [notice] = await t.smtp.waitFor(to(email, /Your password was changed/));
      expect(notice!.token).toBeUndefined();
    });

    it('makes an older reset token useless once a newer one was sent', async () => {
      const { email } = await registerUser(t.app);
      const older = await resetMail(email, 1);
      const newer = await resetMail(email, 2);
      expect(newer.token).not.toBe(older.token);

      const refused = await request(t.app).post('/auth/password/reset').send({ token: older.token, newPassword: NEW_PASSWORD }).expect(400);
      expect(refused.body.code).toBe('invalid_token');
      await request(t.app).post('/auth/password/reset').send({ token: newer.token, newPassword: NEW_PASSWORD }).expect(204);
    });

    it('normalises the new password like register and login do: set full-width, it logs in typed in ASCII', async () => {
      const { email } = await registerUser(t.app);
      const mail = await resetMail(email);
      const fullWidth = 'ｆｕｌｌ ｗｉｄｔｈ ｐａｓｓｐｈｒａｓｅ';
      await request(t.app).post('/auth/password/reset').send({ token: mail.token, newPassword: fullWidth }).expect(204);

      await request(t.app).post('/auth/login').send({ email, password: 'full width passphrase' }).expect(200);
      await request(t.app).post('/auth/login').send({ email, password: fullWidth }).expect(200);
    });

    it('answers 202 with the same body for an unknown address, and sends nothing', async () => {
      const { email } = await registerUser(t.app);
      const ghost = uniqueEmail('ghost');
      const known = await request(t.app).post('/auth/password/forgot').send({ email }).expect(202);
      const unknown = await request(t.app).post('/auth/password/forgot').send({ email: ghost }).expect(202);
      expect(unknown.body).toEqual(known.body);
      await t.smtp.waitFor(to(email, RESET));
      // The known address's mail went out; nothing for the unknown one was queued or sent.
      expect(await t.database.query('SELECT 1 FROM mail_outbox WHERE recipient = $1', [ghost])).toEqual([]);
      expect(t.smtp.received.filter((mail) => mail.to === ghost)).toEqual([]);
    });

    it('takes similar time for known and unknown addresses (the same statement either way)', async () => {
      const { email } = await registerUser(t.app);
      const time = async (address: string) => {
        const started = process.hrtime.bigint();
        await request(t.app).post('/auth/password/forgot').send({ email: address }).expect(202);
        return Number(process.hrtime.bigint() - started) / 1e6;
      };
      const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 9; i++) {
        known.push(await time(email));
        unknown.push(await time(uniqueEmail('nobody')));
      }
      // The bounds of login's timing test.
      expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
      expect(median(unknown)).toBeLessThan(median(known) * 2);
    });

    it('refuses a weak new password with weak_password and leaves the token usable', async () => {
      const { email } = await registerUser(t.app);
      const mail = await resetMail(email);
      const weak = await request(t.app).post('/auth/password/reset').send({ token: mail.token, newPassword: 'short' }).expect(400);
      expect(weak.body.code).toBe('weak_password');
      expect(weak.body.errors).toEqual([expect.objectContaining({ path: 'newPassword' })]);
      await request(t.app).post('/auth/password/reset').send({ token: mail.token, newPassword: NEW_PASSWORD }).expect(204);
    });

    it('keeps token types apart: a verification token resets nothing, a reset token verifies nothing', async () => {
      const { email } = await registerUser(t.app);
      const [verification] = await t.smtp.waitFor(to(email, VERIFY));
      const reset = await resetMail(email);
      expect((await request(t.app).post('/auth/password/reset').send({ token: verification!.token, newPassword: NEW_PASSWORD }).expect(400)).body.code).toBe(
        'invalid_token',
      );
      expect((await request(t.app).post('/auth/email/verify').send({ token: reset.token }).expect(400)).body.code).toBe('invalid_token');
    });

    it.each([
      ['forgot', '/auth/password/forgot', { email: 'not-an-address' }, 'email'],
      ['forgot', '/auth/password/forgot', { email: 'a@example.com', extra: 1 }, 'extra'],
      ['reset', '/auth/password/reset', { newPassword: NEW_PASSWORD }, 'token'],
      ['verify', '/auth/email/verify', {}, 'token'],
    ])('%s answers 400 naming the bad field %#', async (_name, path, body, field) => {
      const response = await request(t.app).post(path).send(body).expect(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: field })]));
    });

    it('never logs a token from a mail', async () => {
      const { email } = await registerUser(t.app);
      const mail = await resetMail(email);
      await request(t.app).post('/auth/password/reset').send({ token: mail.token, newPassword: NEW_PASSWORD }).expect(204);
      const [verification] = await t.smtp.waitFor(to(email, VERIFY));
      expect(t.logText()).not.toContain(mail.token);
      expect(t.logText()).not.toContain(verification!.token);
      expect(t.logs().filter((line) => line.event === 'mail.delivery' && line.outcome === 'sent').length).toBeGreaterThan(0);
    });
  });

  describe('POST /auth/email/verify/resend', () => {
    it('mails a new link to an unverified account, and nothing once verified', async () => {
      const { email, accessToken } = await registerUser(t.app);
      await t.smtp.waitFor(to(email, VERIFY));
      await request(t.app).post('/auth/email/verify/resend').set('Authorization', `Bearer ${accessToken}`).expect(202);
      const [, second] = await t.smtp.waitFor(to(email, VERIFY), 2);
      await request(t.app).post('/auth/email/verify').send({ token: second!.token }).expect(200);

      await request(t.app).post('/auth/email/verify/resend').set('Authorization', `Bearer ${accessToken}`).expect(202);
      const rows = await t.database.query<{ n: number }>(`SELECT count(*)::int AS n FROM mail_outbox WHERE recipient = $1 AND kind = 'verify-email'`, [email]);
      expect(rows[0]!.n).toBe(2);
    });

    it('answers 401 without a bearer token', async () => {
      await request(t.app).post('/auth/email/verify/resend').expect(401);
    });
  });

  describe('POST /auth/email/change', () => {
    it('changes the address only once the new one is verified, with a notice to the old one', async () => {
      const { email, accessToken } = await registerUser(t.app);
      const newEmail = uniqueEmail('moved');
      await request(t.app)
        .post('/auth/email/change')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ newEmail: newEmail.toUpperCase(), currentPassword: STRONG_PASSWORD })
        .expect(202);
      const [notice] = await t.smtp.waitFor(to(email, /Your email address is being changed/));
      expect(notice!.text).toContain(newEmail);
      expect(notice!.token).toBeUndefined();
      const [verification] = await t.smtp.waitFor(to(newEmail, /Confirm your new email address/));

      // Not yet: the old address still signs in.
      await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(200);
      const verified = await request(t.app).post('/auth/email/verify').send({ token: verification!.token }).expect(200);
      expect(verified.body.user).toMatchObject({ email: newEmail, emailVerified: true });
      await request(t.app).post('/auth/login').send({ email: newEmail, password: STRONG_PASSWORD }).expect(200);
      await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(401);
    });

    it('answers 401 for a wrong password and 409 for an address that is taken, sending nothing', async () => {
      const { email, accessToken } = await registerUser(t.app);
      const other = await registerUser(t.app);
      const wrong = await request(t.app)
        .post('/auth/email/change')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ newEmail: uniqueEmail('x'), currentPassword: 'not the password' })
        .expect(401);
      expect(wrong.body.code).toBe('invalid_credentials');
      const taken = await request(t.app)
        .post('/auth/email/change')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ newEmail: other.email, currentPassword: STRONG_PASSWORD })
        .expect(409);
      expect(taken.body.code).toBe('email_taken');
      expect(await t.database.query(`SELECT 1 FROM mail_outbox WHERE recipient = $1 AND kind <> 'verify-email'`, [email])).toEqual([]);
    });

    it('answers 409 at verification when another account took the address meanwhile', async () => {
      const { accessToken } = await registerUser(t.app);
      const newEmail = uniqueEmail('contested');
      await request(t.app)
        .post('/auth/email/change')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ newEmail, currentPassword: STRONG_PASSWORD })
        .expect(202);
      const [verification] = await t.smtp.waitFor(to(newEmail, /Confirm your new email address/));
      await registerUser(t.app, { email: newEmail });
      const conflict = await request(t.app).post('/auth/email/verify').send({ token: verification!.token }).expect(409);
      expect(conflict.body.code).toBe('email_taken');
    });
  });
});
