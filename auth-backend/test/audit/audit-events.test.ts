import request from 'supertest';
import { registerUser, uniqueEmail, STRONG_PASSWORD } from '../support/test-app';
import { createMailTestApp, type MailTestApp } from '../support/mail-app';
import type { ReceivedMail } from '../support/test-smtp';
import { bearer, claimsOf, eventTypesOf, registerAdmin } from '../support/admin';
import { AUDIT_EVENT_TYPES } from '../../src/domain/audit';

const NEW_PASSWORD = 'another perfectly good passphrase';
const to = (email: string, subject: RegExp) => (mail: ReceivedMail) => mail.to === email && subject.test(mail.subject);

interface EventRow {
  type: string;
  userId: string | null;
  actorId: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  data: Record<string, unknown>;
}

describe('audit log', () => {
  let t: MailTestApp;
  beforeAll(async () => {
    t = await createMailTestApp();
  });
  afterAll(() => t.close());

  const eventsOf = (userId: string) =>
    t.database.query<EventRow>(`SELECT type, "userId", "actorId", ip, "userAgent", "requestId", data FROM audit_event WHERE "userId" = $1 ORDER BY at, id`, [
      userId,
    ]);

  it('records an event of each type after the action that makes it, with the request id, ip and user agent', async () => {
    const admin = await registerAdmin(t);
    const email = uniqueEmail('audited');
    const registered = await request(t.app)
      .post('/auth/register')
      .set('User-Agent', 'audit-test/1.0')
      .set('X-Request-Id', 'req-audit-1')
      .send({ email, password: STRONG_PASSWORD })
      .expect(201);
    const userId = registered.body.user.id as string;
    const [first] = await eventsOf(userId);
    expect(first).toMatchObject({ type: 'user.registered', userId, requestId: 'req-audit-1', userAgent: 'audit-test/1.0', ip: expect.any(String) });
    expect(await eventTypesOf(t, userId)).toEqual(['user.registered', 'user.login']);

    // Email verification, login, failed login, logout.
    const [verification] = await t.smtp.waitFor(to(email, /Verify your email address/));
    await request(t.app).post('/auth/email/verify').send({ token: verification!.token }).expect(200);
    const login = (await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(200)).body;
    await request(t.app).post('/auth/login').send({ email, password: 'not the password' }).expect(401);
    await request(t.app).post('/auth/logout').send({ refreshToken: login.refreshToken }).expect(204);

    // Token reuse: a rotated refresh token presented again.
    const rotated = (await request(t.app).post('/auth/refresh').send({ refreshToken: registered.body.refreshToken }).expect(200)).body;
    await request(t.app).post('/auth/refresh').send({ refreshToken: registered.body.refreshToken }).expect(401);
    await request(t.app).get('/auth/me').set(bearer(rotated.accessToken)).expect(401);

    // Password change and reset, a session revoked, an email change.
    const session = (await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(200)).body;
    await request(t.app)
      .post('/auth/password')
      .set(bearer(session.accessToken))
      .send({ currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD })
      .expect(204);
    await request(t.app).post('/auth/password/forgot').send({ email }).expect(202);
    const [reset] = await t.smtp.waitFor(to(email, /Reset your password/));
    await request(t.app).post('/auth/password/reset').send({ token: reset!.token, newPassword: STRONG_PASSWORD }).expect(204);
    const current = (await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(200)).body;
    await request(t.app)
      .delete(`/auth/sessions/${claimsOf(current.accessToken).sid}`)
      .set(bearer(current.accessToken))
      .expect(204);
    const signedIn = (await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(200)).body;
    const newEmail = uniqueEmail('audited-new');
    await request(t.app).post('/auth/email/change').set(bearer(signedIn.accessToken)).send({ newEmail, currentPassword: STRONG_PASSWORD }).expect(202);
    const [change] = await t.smtp.waitFor(to(newEmail, /Confirm your new email address/));
    await request(t.app).post('/auth/email/verify').send({ token: change!.token }).expect(200);

    // An administrator's changes, then the erasure.
    await request(t.app).patch(`/admin/users/${userId}`).set(bearer(admin.accessToken)).send({ name: 'Changed' }).expect(200);
    await request(t.app).post(`/admin/users/${userId}/sign-out`).set(bearer(admin.accessToken)).expect(204);
    await request(t.app).delete(`/admin/users/${userId}`).set(bearer(admin.accessToken)).expect(204);

    const events = await eventsOf(userId);
    expect(events.map((event) => event.type)).toEqual([
      'user.registered',
      'user.login',
      'email.verified',
      'user.login',
      'user.login_failed',
      'user.logout',
      'token.reuse_detected',
      'user.login',
      'password.changed',
      'password.reset',
      'user.login',
      'session.revoked',
      'user.login',
      'email.changed',
      'admin.user_updated',
      'admin.user_signed_out',
      'user.deleted',
    ]);
    expect(events.filter((event) => event.type.startsWith('admin.') || event.type === 'user.deleted').every((event) => event.actorId === admin.user.id)).toBe(
      true,
    );
    // No secret, token, code, password or address in any event.
    const text = JSON.stringify(events);
    for (const secret of [STRONG_PASSWORD, NEW_PASSWORD, registered.body.refreshToken, login.refreshToken, reset!.token, change!.token, email, newEmail])
      expect(text).not.toContain(secret);
  });

  it('records a failed login of an unknown address with no user and without the address', async () => {
    const ghost = uniqueEmail('ghost');
    await request(t.app).post('/auth/login').set('X-Request-Id', 'req-ghost-login').send({ email: ghost, password: 'whatever it is' }).expect(401);
    const rows = await t.database.query<EventRow>(`SELECT type, "userId", data, "requestId" FROM audit_event WHERE "requestId" = 'req-ghost-login'`);
    expect(rows).toEqual([{ type: 'user.login_failed', userId: null, data: { reason: 'invalid-credentials' }, requestId: 'req-ghost-login' }]);
    expect((await t.database.query(`SELECT 1 FROM audit_event WHERE data::text ILIKE '%' || $1 || '%'`, [ghost])).length).toBe(0);
  });

  it('writes no event for a transaction that fails (the change and its event commit together or not at all)', async () => {
    const user = await registerUser(t.app);
    // Fails at COMMIT, after the event was inserted: a deferred constraint trigger on password.changed events.
    await t.database.query(`CREATE FUNCTION audit_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by test'; END $$`);
    await t.database.query(
      `CREATE CONSTRAINT TRIGGER audit_test_refuse AFTER INSERT ON audit_event DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
         WHEN (NEW.type = 'password.changed') EXECUTE FUNCTION audit_test_refuse()`,
    );
    try {
      await request(t.app)
        .post('/auth/password')
        .set(bearer(user.accessToken))
        .send({ currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD })
        .expect(500);
    } finally {
      await t.database.query(`DROP TRIGGER audit_test_refuse ON audit_event`);
      await t.database.query(`DROP FUNCTION audit_test_refuse()`);
    }
    expect(await eventTypesOf(t, user.user.id)).toEqual(['user.registered', 'user.login']);
    // The change rolled back with it: the old password still signs in.
    await request(t.app).post('/auth/login').send({ email: user.email, password: STRONG_PASSWORD }).expect(200);
  });

  describe('GET /admin/audit', () => {
    it('filters by user and type, newest first, in pages; 400 for a bad type or cursor', async () => {
      const admin = await registerAdmin(t);
      const user = await registerUser(t.app);
      for (let i = 0; i < 3; i++) await request(t.app).post('/auth/login').send({ email: user.email, password: STRONG_PASSWORD }).expect(200);
      const seen: Array<{ type: string; at: string }> = [];
      let cursor: string | null = null;
      do {
        const query: Record<string, string> = { userId: user.user.id, type: 'user.login', limit: '2', ...(cursor ? { cursor } : {}) };
        const response = await request(t.app).get('/admin/audit').query(query).set(bearer(admin.accessToken)).expect(200);
        seen.push(...response.body.events);
        cursor = response.body.nextCursor;
      } while (cursor);
      expect(seen).toHaveLength(4);
      expect(seen.every((event) => event.type === 'user.login')).toBe(true);
      expect(seen.map((event) => event.at)).toEqual([...seen.map((event) => event.at)].sort().reverse());
      expect(seen[0]).toEqual({
        id: expect.any(String),
        type: 'user.login',
        at: expect.any(String),
        userId: user.user.id,
        actorId: null,
        ip: expect.any(String),
        userAgent: null,
        requestId: expect.any(String),
        data: expect.objectContaining({ amr: ['pwd'] }),
      });
      await request(t.app).get('/admin/audit').query({ type: 'user.nope' }).set(bearer(admin.accessToken)).expect(400);
      await request(t.app).get('/admin/audit').query({ userId: 'nope' }).set(bearer(admin.accessToken)).expect(400);
      await request(t.app).get('/admin/audit').query({ cursor: 'x' }).set(bearer(admin.accessToken)).expect(400);
    });
  });

  it('knows every type of the contract', () => {
    expect(AUDIT_EVENT_TYPES).toEqual(
      expect.arrayContaining(['mfa.enabled', 'mfa.disabled', 'mfa.failed', 'oidc.linked', 'admin.mfa_reset', 'user.deleted', 'admin.user_signed_out']),
    );
  });

  describe('AUDIT_RETENTION', () => {
    it('prunes events older than the retention', async () => {
      const user = await registerUser(t.app);
      await t.database.query(`UPDATE audit_event SET at = now() - interval '91 days' WHERE "userId" = $1 AND type = 'user.registered'`, [user.user.id]);
      const deleted = await t.service.services.auditRetention.prune();
      expect(deleted).toBeGreaterThanOrEqual(1);
      expect(await eventTypesOf(t, user.user.id)).toEqual(['user.login']);
    });
  });
});
