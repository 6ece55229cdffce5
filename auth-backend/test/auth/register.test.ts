import request from 'supertest';
import { createTestApp, registerUser, uniqueEmail, STRONG_PASSWORD, type TestApp } from '../support/test-app';

describe('POST /auth/register', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const countUsers = async (email: string) =>
    Number((await t.database.query<{ n: string }>('SELECT COUNT(*) AS n FROM "user" WHERE email = $1', [email]))[0]!.n);

  it('creates the account and answers 201 with a token pair, no-store, and the user without any hash', async () => {
    const email = uniqueEmail('new');
    const response = await request(t.app).post('/auth/register').send({ email, password: STRONG_PASSWORD, name: 'Ada' }).expect(201);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toEqual({
      user: {
        id: expect.any(String),
        email,
        name: 'Ada',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
        emailVerified: false,
        mfaEnabled: false,
      },
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: 900,
    });
    expect(JSON.stringify(response.body)).not.toMatch(/\$2[aby]\$/);
    expect(Buffer.from(response.body.refreshToken, 'base64url').length).toBeGreaterThanOrEqual(32);
  });

  it('stores the email trimmed and lower-cased, and only a bcrypt hash of the password', async () => {
    const email = uniqueEmail('MiXeD');
    await request(t.app)
      .post('/auth/register')
      .send({ email: `  ${email.toUpperCase()} `, password: STRONG_PASSWORD })
      .expect(201);
    const rows = await t.database.query<{ email: string; passwordHash: string }>('SELECT email, "passwordHash" FROM "user" WHERE email = $1', [
      email.toLowerCase(),
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.passwordHash).toMatch(/^\$2b\$10\$/);
    expect(rows[0]!.passwordHash).not.toContain(STRONG_PASSWORD);
  });

  it('answers 409 for an email already registered, also when it differs in case and whitespace, and keeps one row', async () => {
    const { email } = await registerUser(t.app);
    const response = await request(t.app)
      .post('/auth/register')
      .send({ email: ` ${email.toUpperCase()}\t`, password: 'another fine passphrase' })
      .expect(409);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 409, title: 'Email already registered' });
    expect(await countUsers(email)).toBe(1);
  });

  it('lets exactly one of 20 concurrent registrations of one email succeed', async () => {
    const email = uniqueEmail('race');
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () =>
        request(t.app)
          .post('/auth/register')
          .send({ email, password: STRONG_PASSWORD })
          .then((response) => response.status),
      ),
    );
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(19);
    expect(await countUsers(email)).toBe(1);
  });

  it.each([
    ['a missing email', { password: STRONG_PASSWORD }, 'email'],
    ['a malformed email', { email: 'not-an-email', password: STRONG_PASSWORD }, 'email'],
    ['a missing password', { email: 'x@example.com' }, 'password'],
    ['a password of the wrong type', { email: 'x@example.com', password: 12345678 }, 'password'],
    ['an empty name', { email: 'x@example.com', password: STRONG_PASSWORD, name: '  ' }, 'name'],
    ['an unknown field', { email: 'x@example.com', password: STRONG_PASSWORD, isAdmin: true }, 'isAdmin'],
  ])('answers 400 naming the field for %s, and creates nothing', async (_case, body, path) => {
    const before = await t.database.query('SELECT COUNT(*) AS n FROM "user"');
    const response = await request(t.app).post('/auth/register').send(body).expect(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    expect(await t.database.query('SELECT COUNT(*) AS n FROM "user"')).toEqual(before);
  });

  it.each([
    ['too short (7 characters)', 'abcdefg', /at least 8 characters/],
    ['too long (129 characters)', 'x'.repeat(129), /at most 128 characters/],
    ['one of the most common passwords', 'password123', /10,000 most common/],
    ['a common password in other case', 'PassWord123', /10,000 most common/],
  ])('refuses a password that is %s with a 400 and the reason', async (_case, password, reason) => {
    const email = uniqueEmail('weak');
    const response = await request(t.app).post('/auth/register').send({ email, password }).expect(400);
    expect(response.body.detail).toMatch(reason);
    expect(response.body.errors).toEqual([{ path: 'password', message: expect.stringMatching(reason) }]);
    expect(await countUsers(email)).toBe(0);
  });

  it('counts password length in Unicode code points, not UTF-16 units or bytes', async () => {
    // 8 emoji: 16 UTF-16 units, 32 bytes, 8 code points: allowed. 7 emoji: refused.
    await request(t.app)
      .post('/auth/register')
      .send({ email: uniqueEmail('emoji'), password: '🔑'.repeat(8) })
      .expect(201);
    await request(t.app)
      .post('/auth/register')
      .send({ email: uniqueEmail('emoji'), password: '🔑'.repeat(7) })
      .expect(400);
  });
});

describe('POST /auth/register with PASSWORD_MIN_LENGTH=15', () => {
  it('refuses 14 characters and accepts 15', async () => {
    const t = await createTestApp({ PASSWORD_MIN_LENGTH: '15' });
    try {
      const short = await request(t.app).post('/auth/register').send({ email: uniqueEmail(), password: 'fourteen chars' }).expect(400);
      expect(short.body.detail).toMatch(/at least 15 characters/);
      await request(t.app).post('/auth/register').send({ email: uniqueEmail(), password: 'fifteen chars!!' }).expect(201);
    } finally {
      await t.close();
    }
  });
});
