import { execFileSync } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { createTestApp, registerUser, uniqueEmail, STRONG_PASSWORD, type TestApp } from '../support/test-app';
import { bearer, claimsOf, registerAdmin, eventTypesOf } from '../support/admin';

describe('admin API', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  describe('access', () => {
    it('answers 401 without a token and 403 forbidden to a user who is not an administrator', async () => {
      await request(t.app).get('/admin/users').expect(401);
      const user = await registerUser(t.app);
      const other = await registerUser(t.app);
      const response = await request(t.app).get('/admin/users').set(bearer(user.accessToken)).expect(403);
      expect(response.body).toMatchObject({ code: 'forbidden', status: 403 });
      // Nor another user's data, nor any change.
      await request(t.app).get(`/admin/users/${other.user.id}`).set(bearer(user.accessToken)).expect(403);
      await request(t.app).patch(`/admin/users/${other.user.id}`).set(bearer(user.accessToken)).send({ disabled: true }).expect(403);
      await request(t.app).delete(`/admin/users/${other.user.id}`).set(bearer(user.accessToken)).expect(403);
      await request(t.app).get('/admin/audit').set(bearer(user.accessToken)).expect(403);
      await request(t.app).get('/auth/me').set(bearer(other.accessToken)).expect(200);
    });

    it('reads the role on every call: a promotion works with the existing token, a demotion acts on the next call', async () => {
      const user = await registerUser(t.app);
      await request(t.app).get('/admin/users').set(bearer(user.accessToken)).expect(403);
      await t.database.query(`UPDATE "user" SET role = 'admin' WHERE id = $1`, [user.user.id]);
      await request(t.app).get('/admin/users').set(bearer(user.accessToken)).expect(200);
      await t.database.query(`UPDATE "user" SET role = 'user' WHERE id = $1`, [user.user.id]);
      await request(t.app).get('/admin/users').set(bearer(user.accessToken)).expect(403);
    });

    it('a demoted admin (PATCH role user) loses access on the next call', async () => {
      const first = await registerAdmin(t);
      const second = await registerAdmin(t);
      await request(t.app).patch(`/admin/users/${second.user.id}`).set(bearer(first.accessToken)).send({ role: 'user' }).expect(200);
      await request(t.app).get('/admin/users').set(bearer(second.accessToken)).expect(403);
    });
  });

  describe('ADMIN_REQUIRE_MFA=true', () => {
    let m: TestApp;
    beforeAll(async () => {
      m = await createTestApp({ ADMIN_REQUIRE_MFA: 'true' });
    });
    afterAll(() => m.close());

    it('answers 403 mfa_required to a password-only token, and 200 to a second-factor one', async () => {
      const admin = await registerAdmin(m);
      const refused = await request(m.app).get('/admin/users').set(bearer(admin.accessToken)).expect(403);
      expect(refused.body.code).toBe('mfa_required');
      const { sub, sid } = claimsOf(admin.accessToken);
      const withOtp = await m.service.services.tokens.sign({ sub, sid, amr: ['pwd', 'otp'] });
      await request(m.app).get('/admin/users').set(bearer(withOtp)).expect(200);
      // A non-admin with a second factor is still refused (403 forbidden, not mfa_required).
      const user = await registerUser(m.app);
      const claims = claimsOf(user.accessToken);
      const userOtp = await m.service.services.tokens.sign({ sub: claims.sub, sid: claims.sid, amr: ['pwd', 'mfa'] });
      expect((await request(m.app).get('/admin/users').set(bearer(userOtp)).expect(403)).body.code).toBe('forbidden');
    });
  });

  describe('GET /admin/users', () => {
    it('pages newest first with a cursor that stays stable while users register', async () => {
      const admin = await registerAdmin(t);
      const tag = `page${Date.now()}`;
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push((await registerUser(t.app, { email: uniqueEmail(tag) })).user.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: Record<string, string> = { search: tag, limit: '2', ...(cursor ? { cursor } : {}) };
        const response = await request(t.app).get('/admin/users').query(query).set(bearer(admin.accessToken)).expect(200);
        seen.push(...response.body.users.map((user: { id: string }) => user.id));
        cursor = response.body.nextCursor;
        // A newcomer between pages is newer than the cursor: it neither shifts nor repeats the pages.
        if (pages++ === 0) await registerUser(t.app, { email: uniqueEmail(tag) });
      } while (cursor);
      expect(seen).toEqual([...made].reverse());
    });

    it('searches email and name as a case-insensitive substring, with LIKE characters taken literally', async () => {
      const admin = await registerAdmin(t);
      const marker = `Zq${Date.now()}`;
      const byName = await registerUser(t.app, { name: `Ada ${marker} Lovelace` });
      const byEmail = await registerUser(t.app, { email: uniqueEmail(marker.toLowerCase()) });
      const response = await request(t.app).get('/admin/users').query({ search: marker.toUpperCase() }).set(bearer(admin.accessToken)).expect(200);
      expect(response.body.users.map((user: { id: string }) => user.id).sort()).toEqual([byName.user.id, byEmail.user.id].sort());
      const wildcard = await request(t.app).get('/admin/users').query({ search: '%' }).set(bearer(admin.accessToken)).expect(200);
      expect(wildcard.body.users).toEqual([]);
    });

    it('answers 400 to a limit outside 1-100 and to a cursor it did not issue', async () => {
      const admin = await registerAdmin(t);
      for (const limit of ['0', '101', 'ten', '-1', '1.5'])
        await request(t.app).get('/admin/users').query({ limit }).set(bearer(admin.accessToken)).expect(400);
      const forged = Buffer.from('not a cursor').toString('base64url');
      for (const cursor of ['!!!', forged, 'MjAyNi0xMi0wM1QxMDowMDowMC4wMDBafG5vdC1hLXV1aWQ'])
        expect((await request(t.app).get('/admin/users').query({ cursor }).set(bearer(admin.accessToken)).expect(400)).body.code).toBe('validation_failed');
      await request(t.app).get('/admin/users').query({ unknown: 'x' }).set(bearer(admin.accessToken)).expect(400);
    });
  });

  describe('GET /admin/users/{id}', () => {
    it('shows the AdminUser and 404 for an unknown or malformed id', async () => {
      const admin = await registerAdmin(t);
      const user = await registerUser(t.app, { name: 'Grace' });
      const response = await request(t.app).get(`/admin/users/${user.user.id}`).set(bearer(admin.accessToken)).expect(200);
      expect(response.body.user).toEqual({
        id: user.user.id,
        email: user.email,
        name: 'Grace',
        createdAt: expect.any(String),
        emailVerified: false,
        mfaEnabled: false,
        role: 'user',
        disabled: false,
        lastSignInAt: expect.any(String),
        identities: [],
        passkeys: 0,
      });
      // Identities linked by provider sign-ins (src/tables/identities.ts) are listed by provider id.
      await t.database.query(
        `INSERT INTO user_identity (id, "userId", provider, subject, email, "createdAt") VALUES (gen_random_uuid(), $1, 'acme', 'sub-1', NULL, now())`,
        [user.user.id],
      );
      const linked = await request(t.app).get(`/admin/users/${user.user.id}`).set(bearer(admin.accessToken)).expect(200);
      expect(linked.body.user.identities).toEqual(['acme']);
      await request(t.app).get('/admin/users/00000000-0000-4000-8000-000000000000').set(bearer(admin.accessToken)).expect(404);
      await request(t.app).get('/admin/users/nope').set(bearer(admin.accessToken)).expect(404);
    });
  });

  describe('PATCH /admin/users/{id}', () => {
    it('disabling kills every session at once; the right password then answers 403 account_disabled, a wrong one 401', async () => {
      const admin = await registerAdmin(t);
      const user = await registerUser(t.app);
      const second = (await request(t.app).post('/auth/login').send({ email: user.email, password: STRONG_PASSWORD }).expect(200)).body;

      const patched = await request(t.app).patch(`/admin/users/${user.user.id}`).set(bearer(admin.accessToken)).send({ disabled: true }).expect(200);
      expect(patched.body.user).toMatchObject({ id: user.user.id, disabled: true });

      await request(t.app).get('/auth/me').set(bearer(user.accessToken)).expect(401);
      await request(t.app).get('/auth/me').set(bearer(second.accessToken)).expect(401);
      await request(t.app).post('/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
      await request(t.app).post('/auth/refresh').send({ refreshToken: second.refreshToken }).expect(401);
      const refused = await request(t.app).post('/auth/login').send({ email: user.email, password: STRONG_PASSWORD }).expect(403);
      expect(refused.body.code).toBe('account_disabled');
      expect((await request(t.app).post('/auth/login').send({ email: user.email, password: 'wrong password here' }).expect(401)).body.code).toBe(
        'invalid_credentials',
      );
      const live = await t.database.query(`SELECT 1 FROM session WHERE "userId" = $1 AND "revokedAt" IS NULL`, [user.user.id]);
      expect(live).toEqual([]);

      // No reset mail for a disabled account, and the same answer.
      await request(t.app).post('/auth/password/forgot').send({ email: user.email }).expect(202);
      expect(await t.database.query(`SELECT 1 FROM mail_outbox WHERE recipient = $1 AND kind = 'reset-password'`, [user.email])).toEqual([]);

      await request(t.app).patch(`/admin/users/${user.user.id}`).set(bearer(admin.accessToken)).send({ disabled: false }).expect(200);
      await request(t.app).post('/auth/login').send({ email: user.email, password: STRONG_PASSWORD }).expect(200);
      expect(await eventTypesOf(t, user.user.id)).toEqual(expect.arrayContaining(['admin.user_updated']));
    });

    it('changes role, emailVerified and name; a bad body answers 400 and changes nothing', async () => {
      const admin = await registerAdmin(t);
      const user = await registerUser(t.app, { name: 'Before' });
      const response = await request(t.app)
        .patch(`/admin/users/${user.user.id}`)
        .set(bearer(admin.accessToken))
        .send({ emailVerified: true, name: 'After', role: 'admin' })
        .expect(200);
      expect(response.body.user).toMatchObject({ emailVerified: true, name: 'After', role: 'admin' });
      for (const body of [{ role: 'root' }, { disabled: 'yes' }, { email: 'x@example.com' }, { name: '' }])
        await request(t.app).patch(`/admin/users/${user.user.id}`).set(bearer(admin.accessToken)).send(body).expect(400);
      const [row] = await t.database.query(`SELECT role, name, "disabledAt" FROM "user" WHERE id = $1`, [user.user.id]);
      expect(row).toEqual({ role: 'admin', name: 'After', disabledAt: null });
      await request(t.app).patch('/admin/users/00000000-0000-4000-8000-000000000000').set(bearer(admin.accessToken)).send({ name: 'x' }).expect(404);
    });
  });

  describe('POST /admin/users/{id}/sign-out', () => {
    it('revokes every session of the user', async () => {
      const admin = await registerAdmin(t);
      const user = await registerUser(t.app);
      await request(t.app).post(`/admin/users/${user.user.id}/sign-out`).set(bearer(admin.accessToken)).expect(204);
      await request(t.app).get('/auth/me').set(bearer(user.accessToken)).expect(401);
      await request(t.app).post('/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
      await request(t.app).post('/auth/login').send({ email: user.email, password: STRONG_PASSWORD }).expect(200);
      await request(t.app).post('/admin/users/00000000-0000-4000-8000-000000000000/sign-out').set(bearer(admin.accessToken)).expect(404);
    });
  });

  describe('GET /openapi.json', () => {
    it('lists every admin operation under its own security scheme, adminBearer', async () => {
      const document = (await request(t.app).get('/openapi.json').expect(200)).body;
      expect(document.components.securitySchemes.adminBearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      const admin = Object.entries(document.paths as Record<string, Record<string, { security: unknown }>>)
        .filter(([path]) => path.startsWith('/admin/'))
        .flatMap(([path, operations]) =>
          Object.entries(operations).map(([method, operation]) => ({ operation: `${method} ${path}`, security: operation.security })),
        );
      expect(admin.map((entry) => entry.operation).sort()).toEqual(
        [
          'get /admin/audit',
          'get /admin/users',
          'get /admin/users/{id}',
          'patch /admin/users/{id}',
          'delete /admin/users/{id}',
          'delete /admin/users/{id}/mfa',
          'post /admin/users/{id}/sign-out',
          // v4: the OpenID Provider's clients.
          'post /admin/clients',
          'get /admin/clients',
          'get /admin/clients/{id}',
          'patch /admin/clients/{id}',
          'delete /admin/clients/{id}',
          'post /admin/clients/{id}/secret',
          // v4: webhooks.
          'post /admin/webhooks',
          'get /admin/webhooks',
          'get /admin/webhooks/{id}',
          'patch /admin/webhooks/{id}',
          'delete /admin/webhooks/{id}',
          'post /admin/webhooks/{id}/secret',
          'get /admin/webhooks/{id}/deliveries',
          'post /admin/webhooks/{id}/deliveries/{deliveryId}/retry',
          'post /admin/webhooks/{id}/test',
        ].sort(),
      );
      for (const entry of admin) expect(entry.security).toEqual([{ adminBearer: [] }]);
      expect(document.paths['/auth/me'].delete.security).toEqual([{ bearerAuth: [] }]);
    });
  });

  describe('npm run users:set-role', () => {
    it('makes an account administrator by its address, and says so when there is none', () => {
      return (async () => {
        const user = await registerUser(t.app);
        const cli = path.join(__dirname, '../../dist/admin/set-role-cli.js');
        const env = { PATH: process.env.PATH, NODE_ENV: 'test', DATABASE_URL: t.database.url };
        const out = execFileSync(process.execPath, [cli, '--email', user.email.toUpperCase(), '--role', 'admin'], { env, encoding: 'utf8' });
        expect(out).toContain(`user ${user.user.id} is now admin`);
        await request(t.app).get('/admin/users').set(bearer(user.accessToken)).expect(200);
        expect(() => execFileSync(process.execPath, [cli, '--email', 'nobody@example.com', '--role', 'admin'], { env, stdio: 'pipe' })).toThrow();
        expect(() => execFileSync(process.execPath, [cli, '--email', user.email, '--role', 'root'], { env, stdio: 'pipe' })).toThrow();
      })();
    });
  });
});
