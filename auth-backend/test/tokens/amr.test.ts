import request from 'supertest';
import { createTestApp, registerUser, STRONG_PASSWORD, type TestApp } from '../support/test-app';

const claims = (accessToken: string) => JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

describe('the amr claim of access tokens (RFC 8176)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('says "pwd" after registration and a password login, and keeps it across refresh', async () => {
    const registered = await registerUser(t.app);
    expect(claims(registered.accessToken).amr).toEqual(['pwd']);
    const login = await request(t.app).post('/auth/login').send({ email: registered.email, password: STRONG_PASSWORD }).expect(200);
    expect(claims(login.body.accessToken).amr).toEqual(['pwd']);
    const refreshed = await request(t.app).post('/auth/refresh').send({ refreshToken: login.body.refreshToken }).expect(200);
    expect(claims(refreshed.body.accessToken).amr).toEqual(['pwd']);
    const [session] = await t.database.query<{ amr: string[] }>('SELECT amr FROM session WHERE id = $1', [claims(login.body.accessToken).sid]);
    expect(session!.amr).toEqual(['pwd']);
  });

  it('keeps the amr the session was opened with, whatever the refresh token is presented with', async () => {
    const { email } = await registerUser(t.app);
    const login = await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(200);
    // As a second factor will: the session remembers how its sign-in was made.
    await t.database.query(`UPDATE session SET amr = ARRAY['pwd','otp'] WHERE id = $1`, [claims(login.body.accessToken).sid]);
    const refreshed = await request(t.app).post('/auth/refresh').send({ refreshToken: login.body.refreshToken }).expect(200);
    expect(claims(refreshed.body.accessToken).amr).toEqual(['pwd', 'otp']);
  });
});
