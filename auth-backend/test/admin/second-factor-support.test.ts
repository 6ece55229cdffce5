/**
 * Where the second factor meets administration, deletion and the audit log: support removes a
 * lost factor (DELETE /admin/users/{id}/mfa), an account without a password confirms its own
 * erasure with a code (DELETE /auth/me {code}), and mfa.* events land in the audit log.
 */
import request from 'supertest';
import { createTestApp, registerUser, STRONG_PASSWORD, type TestApp } from '../support/test-app';
import { bearer, eventTypesOf, registerAdmin } from '../support/admin';
import { stepOf, totpAtStep } from '../mfa/totp-reference';

describe('the second factor in administration, deletion and the audit log', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ ADMIN_REQUIRE_MFA: 'false' });
  });
  afterAll(() => t.close());

  /** A user with an active TOTP factor; `step` is the time step whose code confirmed it (spent). */
  async function withFactor() {
    const user = await registerUser(t.app);
    const { secret } = (await request(t.app).post('/auth/mfa/totp/setup').set(bearer(user.accessToken)).expect(200)).body as { secret: string };
    const step = stepOf(Date.now());
    const confirmed = await request(t.app)
      .post('/auth/mfa/totp/confirm')
      .set(bearer(user.accessToken))
      .send({ code: totpAtStep(secret, step) })
      .expect(200);
    return { ...user, secret, step, recoveryCodes: confirmed.body.recoveryCodes as string[] };
  }

  it('records mfa.enabled, mfa.failed, mfa.recovery_codes_regenerated and mfa.disabled, in that order, with no secret or code in them', async () => {
    const user = await withFactor();
    expect(await eventTypesOf(t, user.user.id)).toContain('mfa.enabled');
    const login = await request(t.app).post('/auth/login').send({ email: user.email, password: STRONG_PASSWORD }).expect(200);
    await request(t.app).post('/auth/mfa/verify').send({ mfaToken: login.body.mfaToken, code: '000000' }).expect(401);
    expect(await eventTypesOf(t, user.user.id)).toContain('mfa.failed');
    // A recovery code passes it, keeping the next step's code for the removal.
    const verified = await request(t.app).post('/auth/mfa/verify').send({ mfaToken: login.body.mfaToken, recoveryCode: user.recoveryCodes[0] }).expect(200);
    const regenerated = await request(t.app).post('/auth/mfa/recovery-codes').set(bearer(verified.body.accessToken)).expect(200);
    const [replaced] = await t.database.query<{ data: Record<string, unknown>; requestId: string | null }>(
      `SELECT data, "requestId" FROM audit_event WHERE "userId" = $1 AND type = 'mfa.recovery_codes_regenerated'`,
      [user.user.id],
    );
    expect(replaced).toEqual({ data: { count: 10 }, requestId: expect.any(String) });
    await request(t.app)
      .delete('/auth/mfa/totp')
      .set(bearer(verified.body.accessToken))
      .send({ code: totpAtStep(user.secret, user.step + 1) })
      .expect(204);
    const types = await eventTypesOf(t, user.user.id);
    expect(types.indexOf('mfa.enabled')).toBeLessThan(types.indexOf('mfa.failed'));
    expect(types.indexOf('mfa.failed')).toBeLessThan(types.indexOf('mfa.recovery_codes_regenerated'));
    expect(types.indexOf('mfa.recovery_codes_regenerated')).toBeLessThan(types.indexOf('mfa.disabled'));
    const events = await t.database.query<{ data: Record<string, unknown> }>(`SELECT data FROM audit_event WHERE "userId" = $1`, [user.user.id]);
    expect(JSON.stringify(events)).not.toContain(user.secret);
    expect(JSON.stringify(events)).not.toContain(user.recoveryCodes[0]);
    for (const code of regenerated.body.recoveryCodes as string[]) expect(JSON.stringify(events)).not.toContain(code);
  });

  describe('DELETE /admin/users/{id}/mfa', () => {
    it("removes a user's factor and recovery codes, sends a notice, records admin.mfa_reset: the next login needs no code", async () => {
      const admin = await registerAdmin(t);
      const user = await withFactor();
      await request(t.app).delete(`/admin/users/${user.user.id}/mfa`).set(bearer(admin.accessToken)).expect(204);
      const login = await request(t.app).post('/auth/login').send({ email: user.email, password: STRONG_PASSWORD }).expect(200);
      expect(login.body.accessToken).toEqual(expect.any(String));
      expect(login.body.user.mfaEnabled).toBe(false);
      expect(
        await t.database.query(`SELECT 1 FROM mfa_factor WHERE "userId" = $1 UNION ALL SELECT 1 FROM recovery_code WHERE "userId" = $1`, [user.user.id]),
      ).toEqual([]);
      const mails = await t.database.query<{ kind: string }>(`SELECT kind FROM mail_outbox WHERE recipient = $1 ORDER BY "createdAt"`, [user.email]);
      expect(mails.map((mail) => mail.kind).filter((kind) => kind.startsWith('second-factor'))).toEqual(['second-factor-enabled', 'second-factor-disabled']);
      const [event] = await t.database.query<{ actorId: string }>(`SELECT "actorId" FROM audit_event WHERE "userId" = $1 AND type = 'admin.mfa_reset'`, [
        user.user.id,
      ]);
      expect(event!.actorId).toBe(admin.user.id);
    });

    it('answers 404 for an unknown user and 403 to a user who is not an administrator, changing nothing', async () => {
      const admin = await registerAdmin(t);
      const user = await withFactor();
      await request(t.app).delete('/admin/users/00000000-0000-4000-8000-000000000000/mfa').set(bearer(admin.accessToken)).expect(404);
      const other = await registerUser(t.app);
      await request(t.app).delete(`/admin/users/${user.user.id}/mfa`).set(bearer(other.accessToken)).expect(403);
      expect(await t.database.query(`SELECT 1 FROM mfa_factor WHERE "userId" = $1 AND "confirmedAt" IS NOT NULL`, [user.user.id])).toHaveLength(1);
    });
  });

  describe('DELETE /auth/me {code}', () => {
    it('erases an account without a password on a current second-factor code; a wrong code answers 401 and changes nothing', async () => {
      const user = await withFactor();
      // As an account that a provider sign-in created: no password.
      await t.database.query(`UPDATE "user" SET "passwordHash" = NULL WHERE id = $1`, [user.user.id]);
      const login = await request(t.app).post('/auth/login').send({ email: user.email, password: STRONG_PASSWORD }).expect(401);
      expect(login.body.code).toBe('invalid_credentials');
      const me = bearer(user.accessToken);
      await request(t.app).delete('/auth/me').set(me).send({ currentPassword: STRONG_PASSWORD }).expect(400);
      expect((await request(t.app).delete('/auth/me').set(me).send({ code: '000000' }).expect(401)).body.code).toBe('invalid_code');
      expect(await t.database.query(`SELECT 1 FROM "user" WHERE id = $1`, [user.user.id])).toHaveLength(1);
      await request(t.app)
        .delete('/auth/me')
        .set(me)
        .send({ code: totpAtStep(user.secret, user.step + 1) })
        .expect(204);
      expect(await t.database.query(`SELECT 1 FROM "user" WHERE id = $1`, [user.user.id])).toEqual([]);
      expect(await t.database.query(`SELECT 1 FROM mfa_factor WHERE "userId" = $1`, [user.user.id])).toEqual([]);
    });
  });
});
