/**
 * Finding 4 of the v3 security review: the admin lists accepted cursors the service never issued
 * (any base64url "time|uuid"), and a users cursor worked on the audit list. The contract says 400.
 */
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { createTestApp, registerUser, type TestApp } from '../support/test-app';
import { bearer, registerAdmin } from '../support/admin';

describe('the admin lists refuse cursors the service did not issue for them', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await createTestApp({ ADMIN_REQUIRE_MFA: 'false' });
    token = (await registerAdmin(t)).accessToken;
    for (let i = 0; i < 3; i++) await registerUser(t.app);
  });
  afterAll(() => t?.close());

  const list = (path: string, cursor: string) => request(t.app).get(path).query({ limit: '1', cursor }).set(bearer(token));

  it('answers 400 to a well-formed position it never issued', async () => {
    const forged = Buffer.from(`${new Date().toISOString()}|${randomUUID()}`).toString('base64url');
    for (const path of ['/admin/users', '/admin/audit']) {
      const response = await list(path, forged).expect(400);
      expect(response.body).toMatchObject({ code: 'validation_failed', errors: [{ path: 'cursor', message: expect.any(String) }] });
    }
  });

  it("answers 400 to a users cursor on the audit list (and the reverse), and pages with each list's own", async () => {
    const users = await request(t.app).get('/admin/users').query({ limit: '1' }).set(bearer(token)).expect(200);
    const audit = await request(t.app).get('/admin/audit').query({ limit: '1' }).set(bearer(token)).expect(200);
    await list('/admin/audit', users.body.nextCursor).expect(400);
    await list('/admin/users', audit.body.nextCursor).expect(400);
    await list('/admin/users', users.body.nextCursor).expect(200);
    await list('/admin/audit', audit.body.nextCursor).expect(200);
  });

  it('answers 400 to a cursor altered by one character', async () => {
    const users = await request(t.app).get('/admin/users').query({ limit: '1' }).set(bearer(token)).expect(200);
    const cursor = users.body.nextCursor as string;
    const altered = cursor.slice(0, 5) + (cursor[5] === 'A' ? 'B' : 'A') + cursor.slice(6);
    await list('/admin/users', altered).expect(400);
  });
});
