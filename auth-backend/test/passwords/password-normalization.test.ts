/**
 * Passwords are Unicode, normalised to NFKC the same way at register, login and change (finding 5
 * of issue 13; docs/decisions/0006-password-normalization.md).
 */
import request from 'supertest';
import { createTestApp, registerUser, uniqueEmail, STRONG_PASSWORD, type TestApp } from '../support/test-app';

describe('password normalisation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const userCount = async () => Number((await t.database.query<{ count: string }>('SELECT count(*) FROM "user"'))[0]!.count);
  const storedHash = async (email: string) =>
    (await t.database.query<{ passwordHash: string }>('SELECT "passwordHash" FROM "user" WHERE email = $1', [email]))[0]!.passwordHash;

  describe('POST /auth/register', () => {
    it.each([
      ['a lone high surrogate', 'abcdefgh\ud800xyz'],
      ['a lone low surrogate', 'abcdefgh\udfffxyz'],
      ['a NUL', 'abcdefgh\u0000xyz'],
    ])('refuses a password with %s (not valid Unicode) with 400 naming the field, and creates nothing', async (_label, password) => {
      const before = await userCount();
      const response = await request(t.app).post('/auth/register').send({ email: uniqueEmail(), password }).expect(400);
      expect(response.body.errors).toEqual([{ path: 'password', message: expect.any(String) }]);
      expect(await userCount()).toBe(before);
    });

    it.each([
      ['full-width letters', 'ｐａｓｓｗｏｒｄ'],
      ['a trailing space', 'password '],
      ['a leading no-break space', '\u00a0password'],
      ['inner spaces', 'pass word'],
      ['upper-case full-width letters', 'ＰＡＳＳＷＯＲＤ１'],
    ])('judges the normalised form against the common-passwords list: %s is refused', async (_label, password) => {
      const before = await userCount();
      const response = await request(t.app).post('/auth/register').send({ email: uniqueEmail(), password }).expect(400);
      expect(response.body).toMatchObject({ code: 'weak_password', errors: [{ path: 'password', message: expect.stringMatching(/most common/) }] });
      expect(await userCount()).toBe(before);
    });

    it('does not count spaces at either end towards the minimum length', async () => {
      const response = await request(t.app).post('/auth/register').send({ email: uniqueEmail(), password: '   abc12   ' }).expect(400);
      expect(response.body.errors[0].message).toMatch(/not counting spaces/);
    });
  });

  describe('POST /auth/login', () => {
    it('accepts the same password typed on two keyboards: full-width or ASCII, composed or decomposed', async () => {
      const { email } = await registerUser(t.app, { password: 'Ｃafé au lait ｎｏｗ' });
      await request(t.app).post('/auth/login').send({ email, password: 'Cafe\u0301 au lait now' }).expect(200);
      await request(t.app).post('/auth/login').send({ email, password: 'Café\u00a0au lait now' }).expect(200);
      await request(t.app).post('/auth/login').send({ email, password: 'Cafe au lait now' }).expect(401);
    });

    it('refuses a password that is not valid Unicode with 400, so two such passwords never log into one account', async () => {
      const { email } = await registerUser(t.app);
      for (const password of ['abcdefgh\ud800xyz', 'abcdefgh\udfffxyz']) {
        const response = await request(t.app).post('/auth/login').send({ email, password }).expect(400);
        expect(response.body.errors[0].path).toBe('password');
      }
    });

    it('keeps a hash stored before normalisation working, and migrates it to the normalised form on login', async () => {
      const email = uniqueEmail('legacy');
      const typed = 'ｌｅｇａｃｙ passphrase ﬁne';
      const normalized = typed.normalize('NFKC');
      expect(normalized).not.toBe(typed);
      const {
        hasher,
        tables: { users },
      } = t.service.services;
      // As the service before normalisation stored it: a hash of the password exactly as typed.
      await users.create({ email, passwordHash: await hasher.hash(typed), name: null });
      const legacyHash = await storedHash(email);
      await request(t.app).post('/auth/login').send({ email, password: normalized }).expect(401);

      await request(t.app).post('/auth/login').send({ email, password: typed }).expect(200);

      const migrated = await storedHash(email);
      expect(migrated).not.toBe(legacyHash);
      expect((await hasher.verify(normalized, migrated)).ok).toBe(true);
      expect((await hasher.verify(typed, migrated)).ok).toBe(false);
      await request(t.app).post('/auth/login').send({ email, password: normalized }).expect(200);
      await request(t.app).post('/auth/login').send({ email, password: typed }).expect(200);
    });
  });

  describe('POST /auth/password', () => {
    it('normalises the current and the new password like register and login', async () => {
      const { email, accessToken } = await registerUser(t.app, { password: 'ｎｅｗ ｙｅａｒ resolution 2027' });
      await request(t.app)
        .post('/auth/password')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ currentPassword: 'new year resolution 2027', newPassword: 'ｓｅｃｏｎｄ thoughts on it' })
        .expect(204);
      await request(t.app).post('/auth/login').send({ email, password: 'second thoughts on it' }).expect(200);
    });

    it('refuses a new password whose normalised form is common, and changes nothing', async () => {
      const { email, accessToken } = await registerUser(t.app);
      const before = await storedHash(email);
      const response = await request(t.app)
        .post('/auth/password')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ currentPassword: STRONG_PASSWORD, newPassword: 'ｐａｓｓｗｏｒｄ' })
        .expect(400);
      expect(response.body.errors).toEqual([{ path: 'newPassword', message: expect.stringMatching(/most common/) }]);
      expect(await storedHash(email)).toBe(before);
    });
  });
});
