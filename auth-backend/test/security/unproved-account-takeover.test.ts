/**
 * Finding 1 of the v3 security review (high): when the owner of an address proves it for the first
 * time, whoever registered the address before them must keep no way back in. Reproduced black-box,
 * through the HTTP API and a real OpenID provider on loopback:
 * (a) a squatter's identity whose provider does not vouch for the address creates the account; the
 *     owner's verified sign-in takes it over; the squatter's identity (and its unspent one-time
 *     code) no longer sign in to it;
 * (b) a squatter registers the address with a password and a TOTP factor and holds an mfaToken;
 *     after the owner's verified sign-in the mfaToken with a right code signs in nowhere, the
 *     password is gone, and the owner does not meet the squatter's factor;
 * (c) the same, when the owner's first proof is a password reset link;
 * and REQUIRE_VERIFIED_EMAIL holds for provider sign-ins too.
 */
import request from 'supertest';
import { createTestApp, STRONG_PASSWORD, uniqueEmail, registerUser, type TestApp } from '../support/test-app';
import { followToCallback, startOidcTestProvider, type OidcTestProvider, type TestAccount } from '../support/oidc-test-provider';
import { stepOf, totpAtStep } from '../mfa/totp-reference';

const PUBLIC_URL = 'https://auth.test';
const APP = 'https://app.test';
const CALLBACK = `${PUBLIC_URL}/auth/oidc/acme/callback`;

let provider: OidcTestProvider;
let subjects = 0;
const person = (email: string, emailVerified: boolean): TestAccount => ({ sub: `takeover-${process.pid}-${++subjects}`, email, email_verified: emailVerified });

const oidcEnv = () => ({
  OIDC_PROVIDERS: 'acme',
  OIDC_ACME_ISSUER: provider.issuer,
  OIDC_ACME_CLIENT_ID: provider.clientId,
  OIDC_ACME_CLIENT_SECRET: provider.clientSecret,
  PUBLIC_URL,
  REDIRECT_ALLOWLIST: APP,
});

/** A provider sign-in down to the redirect back to the app: `?code=` or `?error=`. */
async function providerSignIn(t: TestApp, who: TestAccount): Promise<URL> {
  await provider.signInAs(who);
  const started = await request(t.app)
    .get('/auth/oidc/acme/start')
    .query({ redirectTo: `${APP}/back` })
    .expect(302);
  const binding = (started.headers['set-cookie'] as unknown as string[]).find((line) => line.startsWith('oidc_binding='))!.split(';')[0]!;
  const back = await followToCallback(started.headers.location!, CALLBACK);
  const response = await request(t.app).get(`${back.pathname}${back.search}`).set('Cookie', binding).expect(302);
  return new URL(response.headers.location!);
}

const exchange = (t: TestApp, code: string) => request(t.app).post('/auth/oidc/exchange').send({ code });
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Registers `email` with a password and an active TOTP factor; returns what the squatter keeps. */
async function squatWithFactor(t: TestApp, email: string) {
  const squatter = await registerUser(t.app, { email });
  const setup = await request(t.app).post('/auth/mfa/totp/setup').set(bearer(squatter.accessToken)).expect(200);
  const secret = setup.body.secret as string;
  const step = stepOf(Date.now());
  const confirmed = await request(t.app)
    .post('/auth/mfa/totp/confirm')
    .set(bearer(squatter.accessToken))
    .send({ code: totpAtStep(secret, step) })
    .expect(200);
  const login = await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(200);
  expect(login.body).toMatchObject({ mfaRequired: true });
  return { squatter, secret, step, recoveryCodes: confirmed.body.recoveryCodes as string[], mfaToken: login.body.mfaToken as string };
}

/** What the squatter tries afterwards: every way must be shut. */
async function expectLockedOut(t: TestApp, email: string, kept: Awaited<ReturnType<typeof squatWithFactor>>) {
  // The open mfaToken with a right code (of a step not used yet), and with a recovery code.
  await request(t.app)
    .post('/auth/mfa/verify')
    .send({ mfaToken: kept.mfaToken, code: totpAtStep(kept.secret, kept.step + 1) })
    .expect(401)
    .expect((response) => expect(response.body.code).toBe('invalid_mfa_token'));
  // The squatter's password, and a fresh mfaToken it would have given.
  const login = await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD });
  expect(login.status).toBe(401);
  // The squatter's session.
  await request(t.app).get('/auth/me').set(bearer(kept.squatter.accessToken)).expect(401);
  await request(t.app).post('/auth/refresh').send({ refreshToken: kept.squatter.refreshToken }).expect(401);
}

beforeAll(async () => {
  provider = await startOidcTestProvider({ redirectUri: CALLBACK });
});
afterAll(async () => {
  await provider?.stop();
});

describe('the first proof of a never-verified address', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(oidcEnv());
  });
  afterAll(() => t?.close());

  it("(a) a verified provider sign-in takes over an account a squatter's unvouched identity created: that identity and its unspent code sign in to it no more", async () => {
    const email = uniqueEmail('victim-a');
    const squatter = person(email, false);
    const created = await providerSignIn(t, squatter);
    const firstCode = created.searchParams.get('code')!;
    const squatterTokens = (await exchange(t, firstCode).expect(200)).body as { user: { id: string }; accessToken: string };
    // A second sign-in, its one-time code kept unspent for later.
    const pending = (await providerSignIn(t, squatter)).searchParams.get('code')!;
    expect(pending).toEqual(expect.any(String));

    const owner = person(email, true);
    const taken = await exchange(t, (await providerSignIn(t, owner)).searchParams.get('code')!).expect(200);
    expect(taken.body.user).toMatchObject({ id: squatterTokens.user.id, email, emailVerified: true });
    const identities = await request(t.app).get('/auth/identities').set(bearer(taken.body.accessToken)).expect(200);
    expect(identities.body.identities).toHaveLength(1);

    // The squatter's unspent code, its session, and its identity: nothing signs in.
    await exchange(t, pending).expect(401);
    await request(t.app).get('/auth/me').set(bearer(squatterTokens.accessToken)).expect(401);
    const again = await providerSignIn(t, squatter);
    expect(again.searchParams.get('code')).toBeNull();
    expect(again.searchParams.get('error')).toBe('email_not_verified');
  });

  it("(b) a verified provider sign-in takes over an account a squatter registered with a password and a second factor: the squatter's mfaToken, password and session are dead, and the owner meets no factor", async () => {
    const email = uniqueEmail('victim-b');
    const kept = await squatWithFactor(t, email);
    const taken = await exchange(t, (await providerSignIn(t, person(email, true))).searchParams.get('code')!).expect(200);
    // Straight to tokens: the squatter's factor went with the takeover.
    expect(taken.body).toMatchObject({ user: { email, emailVerified: true, mfaEnabled: false }, accessToken: expect.any(String) });
    await expectLockedOut(t, email, kept);
    const [row] = await t.database.query<{ factors: string; codes: string }>(
      `SELECT (SELECT count(*) FROM mfa_factor f WHERE f."userId" = u.id) AS factors, (SELECT count(*) FROM recovery_code c WHERE c."userId" = u.id) AS codes
         FROM "user" u WHERE u.email = $1`,
      [email],
    );
    expect(row).toEqual({ factors: '0', codes: '0' });
  });

  it("(c) a password reset link is such a proof too: the squatter's factor, mfaToken and sessions go, and the owner's new password signs in with no second factor", async () => {
    const email = uniqueEmail('victim-c');
    const kept = await squatWithFactor(t, email);
    await request(t.app).post('/auth/password/forgot').send({ email }).expect(202);
    const [mail] = await t.database.query<{ textBody: string }>(`SELECT "textBody" FROM mail_outbox WHERE recipient = $1 AND kind = 'reset-password'`, [email]);
    const token = /token=([\w-]+)/.exec(mail!.textBody)![1]!;
    const newPassword = 'the owner chose this passphrase';
    await request(t.app).post('/auth/password/reset').send({ token, newPassword }).expect(204);
    await expectLockedOut(t, email, kept);
    const owner = await request(t.app).post('/auth/login').send({ email, password: newPassword }).expect(200);
    expect(owner.body).toMatchObject({ user: { email, emailVerified: true, mfaEnabled: false }, accessToken: expect.any(String) });
  });

  it('a second reset of a proved address removes nothing: the factor its owner added stays', async () => {
    const email = uniqueEmail('owner');
    await registerUser(t.app, { email });
    const reset = async (password: string) => {
      await request(t.app).post('/auth/password/forgot').send({ email }).expect(202);
      const mails = await t.database.query<{ textBody: string }>(
        `SELECT "textBody" FROM mail_outbox WHERE recipient = $1 AND kind = 'reset-password' ORDER BY "createdAt" DESC LIMIT 1`,
        [email],
      );
      const token = /token=([\w-]+)/.exec(mails[0]!.textBody)![1]!;
      await request(t.app).post('/auth/password/reset').send({ token, newPassword: password }).expect(204);
    };
    await reset('first owner passphrase');
    const signedIn = await request(t.app).post('/auth/login').send({ email, password: 'first owner passphrase' }).expect(200);
    const setup = await request(t.app).post('/auth/mfa/totp/setup').set(bearer(signedIn.body.accessToken)).expect(200);
    await request(t.app)
      .post('/auth/mfa/totp/confirm')
      .set(bearer(signedIn.body.accessToken))
      .send({ code: totpAtStep(setup.body.secret as string, stepOf(Date.now())) })
      .expect(200);
    await reset('second owner passphrase');
    const login = await request(t.app).post('/auth/login').send({ email, password: 'second owner passphrase' }).expect(200);
    expect(login.body).toMatchObject({ mfaRequired: true });
  });
});

describe('REQUIRE_VERIFIED_EMAIL=true and provider sign-ins', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ ...oidcEnv(), REQUIRE_VERIFIED_EMAIL: 'true' });
  });
  afterAll(() => t?.close());

  it('refuses (403 email_not_verified, no session) an account whose provider does not vouch for its address, and signs in one it vouches for', async () => {
    const unvouched = await exchange(t, (await providerSignIn(t, person(uniqueEmail('unvouched'), false))).searchParams.get('code')!);
    expect(unvouched.status).toBe(403);
    expect(unvouched.body).toMatchObject({ code: 'email_not_verified' });
    expect(unvouched.body.accessToken).toBeUndefined();
    const vouched = await exchange(t, (await providerSignIn(t, person(uniqueEmail('vouched'), true))).searchParams.get('code')!).expect(200);
    expect(vouched.body.accessToken).toEqual(expect.any(String));
  });
});
