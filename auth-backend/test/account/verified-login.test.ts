import request from 'supertest';
import { registerUser, STRONG_PASSWORD } from '../support/test-app';
import { createMailTestApp, type MailTestApp } from '../support/mail-app';

describe('POST /auth/login with REQUIRE_VERIFIED_EMAIL=true', () => {
  let t: MailTestApp;
  beforeAll(async () => {
    t = await createMailTestApp({ REQUIRE_VERIFIED_EMAIL: 'true' });
  });
  afterAll(() => t.close());

  it('answers 403 email_not_verified after the right password only, and 200 once verified', async () => {
    const { email } = await registerUser(t.app);
    const wrong = await request(t.app).post('/auth/login').send({ email, password: 'not the password at all' }).expect(401);
    expect(wrong.body.code).toBe('invalid_credentials');
    const unverified = await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(403);
    expect(unverified.body).toMatchObject({ status: 403, code: 'email_not_verified' });
    expect(unverified.headers['content-type']).toMatch(/^application\/problem\+json/);

    const [mail] = await t.smtp.waitFor((m) => m.to === email);
    await request(t.app).post('/auth/email/verify').send({ token: mail!.token }).expect(200);
    const login = await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(200);
    expect(login.body.user.emailVerified).toBe(true);
  });

  it('lets a password reset count as verification', async () => {
    const { email } = await registerUser(t.app);
    await request(t.app).post('/auth/password/forgot').send({ email }).expect(202);
    const [mail] = await t.smtp.waitFor((m) => m.to === email && /Reset/.test(m.subject));
    await request(t.app).post('/auth/password/reset').send({ token: mail!.token, newPassword: 'a brand new passphrase' }).expect(204);
    await request(t.app).post('/auth/login').send({ email, password: 'a brand new passphrase' }).expect(200);
  });
});
