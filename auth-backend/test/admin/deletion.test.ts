import request from 'supertest';
import { registerUser, uniqueEmail, STRONG_PASSWORD } from '../support/test-app';
import { createMailTestApp, type MailTestApp } from '../support/mail-app';
import { bearer, registerAdmin } from '../support/admin';

/** Every table of the database, and in it every row whose text (any column, cast to text) holds `needle`. */
async function rowsNaming(t: MailTestApp, needle: string): Promise<Array<{ table: string; column: string; count: number }>> {
  const columns = await t.database.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', 'jsonb', 'json', 'ARRAY', 'USER-DEFINED')`,
  );
  const found = [];
  for (const { table_name: table, column_name: column } of columns) {
    const [row] = await t.database.query<{ count: number }>(`SELECT count(*)::int AS count FROM "${table}" WHERE strpos(lower("${column}"::text), $1) > 0`, [
      needle.toLowerCase(),
    ]);
    if (row!.count > 0) found.push({ table, column, count: row!.count });
  }
  return found;
}

describe('account deletion', () => {
  let t: MailTestApp;
  beforeAll(async () => {
    t = await createMailTestApp();
  });
  afterAll(() => t.close());

  /** A user with sessions, mail (sent and unsent), email tokens of two addresses and audit events. */
  async function busyUser() {
    const user = await registerUser(t.app, { name: 'To Be Erased' });
    await request(t.app).post('/auth/login').send({ email: user.email, password: STRONG_PASSWORD }).expect(200);
    await request(t.app).post('/auth/login').send({ email: user.email, password: 'not the password' }).expect(401);
    await request(t.app).post('/auth/password/forgot').send({ email: user.email }).expect(202);
    const newEmail = uniqueEmail('new-address');
    await request(t.app).post('/auth/email/change').set(bearer(user.accessToken)).send({ newEmail, currentPassword: STRONG_PASSWORD }).expect(202);
    expect((await rowsNaming(t, user.email)).length).toBeGreaterThan(0);
    return { ...user, newEmail };
  }

  describe('DELETE /auth/me', () => {
    it('erases the caller: no table holds the address afterwards, audit events keep the id', async () => {
      const user = await busyUser();
      await request(t.app).delete('/auth/me').set(bearer(user.accessToken)).send({ currentPassword: STRONG_PASSWORD }).expect(204);

      expect(await rowsNaming(t, user.email)).toEqual([]);
      expect(await rowsNaming(t, user.newEmail)).toEqual([]);
      expect(await rowsNaming(t, 'To Be Erased')).toEqual([]);
      const events = await t.database.query<{ type: string }>(`SELECT type FROM audit_event WHERE "userId" = $1`, [user.user.id]);
      expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(['user.registered', 'user.login', 'user.login_failed', 'user.deleted']));
      for (const table of ['session', 'refresh_token', 'email_token'])
        expect(
          await t.database.query(
            `SELECT 1 FROM ${table} WHERE ${table === 'refresh_token' ? `"sessionId" IN (SELECT id FROM session WHERE "userId" = $1)` : `"userId" = $1`}`,
            [user.user.id],
          ),
        ).toEqual([]);
      await request(t.app).get('/auth/me').set(bearer(user.accessToken)).expect(401);
      await request(t.app).post('/auth/login').send({ email: user.email, password: STRONG_PASSWORD }).expect(401);
      await request(t.app).post('/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
    });

    it('answers 401 to a wrong password and changes nothing', async () => {
      const user = await registerUser(t.app);
      const response = await request(t.app).delete('/auth/me').set(bearer(user.accessToken)).send({ currentPassword: 'not the password' }).expect(401);
      expect(response.body.code).toBe('invalid_credentials');
      await request(t.app).get('/auth/me').set(bearer(user.accessToken)).expect(200);
      expect(await t.database.query(`SELECT type FROM audit_event WHERE "userId" = $1 AND type = 'user.deleted'`, [user.user.id])).toEqual([]);
    });

    it('answers 400 without a password, 401 without a token, and 403 reauthentication_required to an account with no password', async () => {
      const user = await registerUser(t.app);
      await request(t.app).delete('/auth/me').set(bearer(user.accessToken)).send({}).expect(400);
      await request(t.app).delete('/auth/me').send({ currentPassword: STRONG_PASSWORD }).expect(401);
      await t.database.query(`UPDATE "user" SET "passwordHash" = '' WHERE id = $1`, [user.user.id]);
      const response = await request(t.app).delete('/auth/me').set(bearer(user.accessToken)).send({ code: '123456' }).expect(403);
      expect(response.body.code).toBe('reauthentication_required');
      await request(t.app).get('/auth/me').set(bearer(user.accessToken)).expect(200);
    });
  });

  describe('DELETE /admin/users/{id}', () => {
    it('erases the account the same way and records who did it', async () => {
      const admin = await registerAdmin(t);
      const user = await busyUser();
      await request(t.app).delete(`/admin/users/${user.user.id}`).set(bearer(admin.accessToken)).expect(204);
      expect(await rowsNaming(t, user.email)).toEqual([]);
      expect(await rowsNaming(t, user.newEmail)).toEqual([]);
      await request(t.app).get(`/admin/users/${user.user.id}`).set(bearer(admin.accessToken)).expect(404);
      await request(t.app).delete(`/admin/users/${user.user.id}`).set(bearer(admin.accessToken)).expect(404);
      const [event] = await t.database.query(`SELECT "actorId", data FROM audit_event WHERE "userId" = $1 AND type = 'user.deleted'`, [user.user.id]);
      expect(event).toEqual({ actorId: admin.user.id, data: { by: 'admin' } });
    });
  });
});
