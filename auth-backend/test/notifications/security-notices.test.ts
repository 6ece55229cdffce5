/**
 * Security notifications, end to end: the real app delivering through its outbox to a real SMTP
 * server on loopback.
 */
import request from 'supertest';
import { registerUser, STRONG_PASSWORD } from '../support/test-app';
import { createMailTestApp, type MailTestApp } from '../support/mail-app';
import { bearer } from '../support/admin';
import type { ReceivedMail } from '../support/test-smtp';

const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('security notifications', () => {
  let t: MailTestApp;
  afterEach(() => t.close());

  const to = (email: string, subject: RegExp) => (mail: ReceivedMail) => mail.to === email && subject.test(mail.subject);
  const login = (email: string, userAgent: string, password = STRONG_PASSWORD) =>
    request(t.app).post('/auth/login').set('User-Agent', userAgent).send({ email, password });
  const register = async (userAgent: string) => {
    const email = `notice.${Date.now()}.${Math.random().toString(36).slice(2)}@example.com`;
    await request(t.app).post('/auth/register').set('User-Agent', userAgent).send({ email, password: STRONG_PASSWORD }).expect(201);
    return email;
  };

  describe('POST /auth/login', () => {
    it('mails a new-sign-in notice for a device this account has not used, with time, browser, system and IP', async () => {
      t = await createMailTestApp();
      const email = await register(FIREFOX_LINUX);
      await login(email, FIREFOX_LINUX).expect(200);

      await login(email, SAFARI_IPHONE).expect(200);

      const [notice] = await t.smtp.waitFor(to(email, /New sign-in/));
      expect(notice!.text).toContain('Safari on iOS');
      expect(notice!.text).toMatch(/When: +\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
      expect(notice!.text).toMatch(/Address: +(::ffff:)?127\.0\.0\.1/);
      // The registration's device and the second use of the new one send nothing.
      await login(email, SAFARI_IPHONE).expect(200);
      await sleep(800);
      expect(t.smtp.received.filter(to(email, /New sign-in/))).toHaveLength(1);
    });

    it('sends none with NOTIFY_NEW_SIGN_IN=false', async () => {
      t = await createMailTestApp({ NOTIFY_NEW_SIGN_IN: 'false' });
      const email = await register(FIREFOX_LINUX);
      await login(email, SAFARI_IPHONE).expect(200);
      await sleep(1000);
      expect(t.smtp.received.filter(to(email, /New sign-in/))).toHaveLength(0);
    });

    it('mails once when the daily failure cap is reached', async () => {
      t = await createMailTestApp({ THROTTLE_ACCOUNT_FREE_FAILURES: '99', THROTTLE_ACCOUNT_MAX_DELAY: '1s' });
      const email = await register(FIREFOX_LINUX);
      const { throttle } = t.service.services;
      const fail = () => throttle.guard(email, async () => ({ verdict: 'failed' as const, result: undefined })).catch(() => undefined);
      for (let i = 0; i < 99; i++) await fail();
      // Beyond the free failures each one waits for its delay (1 s here); the 100th reaches the cap, later ones are refused.
      for (let i = 0; i < 3; i++) {
        await sleep(1100);
        await fail();
      }

      await t.smtp.waitFor(to(email, /Many failed sign-ins/));
      await sleep(800);
      expect(t.smtp.received.filter(to(email, /Many failed sign-ins/))).toHaveLength(1);
    });
  });

  describe('POST /auth/password', () => {
    it('mails that the password was changed', async () => {
      t = await createMailTestApp();
      const user = await registerUser(t.app);
      await request(t.app)
        .post('/auth/password')
        .set(bearer(user.accessToken))
        .send({ currentPassword: user.password, newPassword: 'another perfectly good passphrase' })
        .expect(204);
      const [notice] = await t.smtp.waitFor(to(user.email, /Your password was changed/));
      expect(notice!.text).toContain('was just changed');
    });
  });

  describe('POST /auth/email/change', () => {
    it('tells the old address once the change is confirmed', async () => {
      t = await createMailTestApp();
      const user = await registerUser(t.app);
      const newEmail = `new.${Date.now()}@example.com`;
      await request(t.app).post('/auth/email/change').set(bearer(user.accessToken)).send({ newEmail, currentPassword: user.password }).expect(202);
      const [link] = await t.smtp.waitFor((mail) => mail.to === newEmail && Boolean(mail.token));
      await request(t.app).post('/auth/email/verify').send({ token: link!.token }).expect(200);

      const [notice] = await t.smtp.waitFor(to(user.email, /Your email address was changed/));
      expect(notice!.text).toContain(newEmail);
    });
  });
});
