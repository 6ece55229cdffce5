import request from 'supertest';
import bcrypt from 'bcrypt';
import { createTestApp, registerUser, uniqueEmail, STRONG_PASSWORD, type TestApp } from '../support/test-app';

describe('POST /auth/login', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('answers 200 with a new token pair for the right password, whatever the email case', async () => {
    const { email, user } = await registerUser(t.app);
    const response = await request(t.app)
      .post('/auth/login')
      .send({ email: ` ${email.toUpperCase()} `, password: STRONG_PASSWORD })
      .expect(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toMatchObject({ user: { id: user.id, email }, tokenType: 'Bearer', expiresIn: 900 });
    await request(t.app).get('/auth/me').set('Authorization', `Bearer ${response.body.accessToken}`).expect(200);
  });

  it('gives unknown email and wrong password the same status and body', async () => {
    const { email } = await registerUser(t.app);
    const wrongPassword = await request(t.app).post('/auth/login').send({ email, password: 'not the password at all' }).expect(401);
    const unknownEmail = await request(t.app)
      .post('/auth/login')
      .send({ email: uniqueEmail('ghost'), password: 'not the password at all' })
      .expect(401);
    expect(wrongPassword.body).toEqual(unknownEmail.body);
    expect(wrongPassword.body).toEqual({
      type: 'about:blank',
      title: 'Invalid credentials',
      status: 401,
      detail: 'The email or password is incorrect.',
      code: 'invalid_credentials',
    });
    expect(wrongPassword.headers['content-type']).toBe(unknownEmail.headers['content-type']);
  });

  it('takes similar time for unknown email and wrong password (a bcrypt compare either way)', async () => {
    const { email } = await registerUser(t.app);
    const time = async (body: object) => {
      const started = process.hrtime.bigint();
      await request(t.app).post('/auth/login').send(body).expect(401);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      wrong.push(await time({ email, password: `wrong password ${i}` }));
      unknown.push(await time({ email: uniqueEmail('nobody'), password: `wrong password ${i}` }));
    }
    // Both pay for one bcrypt compare at cost 10 (~50 ms); without the dummy compare unknown would take ~2 ms.
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.5);
    expect(median(unknown)).toBeLessThan(median(wrong) * 2);
  });

  it('treats passwords that differ only after byte 72 as different passwords', async () => {
    const prefix = 'p'.repeat(72);
    const { email } = await registerUser(t.app, { password: `${prefix}-first` });
    await request(t.app)
      .post('/auth/login')
      .send({ email, password: `${prefix}-second` })
      .expect(401);
    await request(t.app)
      .post('/auth/login')
      .send({ email, password: `${prefix}-first` })
      .expect(200);
  });

  it('re-hashes the stored password with the configured cost when it was hashed with a lower one', async () => {
    const { email } = await registerUser(t.app);
    const original = (await t.database.query<{ passwordHash: string }>('SELECT "passwordHash" FROM "user" WHERE email = $1', [email]))[0]!.passwordHash;
    expect(bcrypt.getRounds(original)).toBe(10);

    const stronger = await createTestApp({ BCRYPT_COST: '11' });
    try {
      await stronger.database.query(`INSERT INTO "user" (id, email, "passwordHash", "updatedAt") VALUES (gen_random_uuid(), $1, $2, now())`, [email, original]);
      await request(stronger.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(200);
      const upgraded = (await stronger.database.query<{ passwordHash: string }>('SELECT "passwordHash" FROM "user" WHERE email = $1', [email]))[0]!
        .passwordHash;
      expect(bcrypt.getRounds(upgraded)).toBe(11);
      await request(stronger.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(200);
    } finally {
      await stronger.close();
    }
  });

  it.each([
    ['no body', undefined],
    ['a missing password', { email: 'a@example.com' }],
    ['an empty password', { email: 'a@example.com', password: '' }],
    ['a malformed email', { email: 'a@', password: STRONG_PASSWORD }],
    ['a 2000-character password', { email: 'a@example.com', password: 'x'.repeat(2000) }],
  ])('answers 400 for %s', async (_case, body) => {
    const response = await request(t.app)
      .post('/auth/login')
      .set('Content-Type', 'application/json')
      .send(body === undefined ? '' : JSON.stringify(body))
      .expect(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('logs every attempt with its outcome and request id, and never the password or a hash', async () => {
    const { email } = await registerUser(t.app, { password: 'secret passphrase for logs' });
    await request(t.app).post('/auth/login').set('X-Request-Id', 'login-log-check-1').send({ email, password: 'a wrong passphrase here' }).expect(401);
    await request(t.app).post('/auth/login').set('X-Request-Id', 'login-log-check-2').send({ email, password: 'secret passphrase for logs' }).expect(200);
    const attempts = t.logs().filter((line) => line.event === 'auth.login');
    expect(attempts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ reqId: 'login-log-check-1', outcome: 'failure', time: expect.stringMatching(/Z$/) }),
        expect.objectContaining({ reqId: 'login-log-check-2', outcome: 'success' }),
      ]),
    );
    const text = t.logText();
    expect(text).not.toContain('secret passphrase for logs');
    expect(text).not.toContain('a wrong passphrase here');
    expect(text).not.toMatch(/\$2[aby]\$\d\d\$/);
  });
});
