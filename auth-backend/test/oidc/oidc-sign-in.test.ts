/**
 * Sign in with an OpenID Connect provider, against a real provider on loopback
 * (test/support/oidc-test-provider.ts): the whole redirect dance with PKCE and nonce, the account
 * rules, the state and the one-time code, and a provider that misbehaves.
 */
import request from 'supertest';
import { decodeJwt } from 'jose';
import { createTestApp, registerUser, STRONG_PASSWORD, uniqueEmail, type TestApp } from '../support/test-app';
import { followToCallback, startOidcTestProvider, type OidcTestProvider, type TestAccount } from '../support/oidc-test-provider';
import { stepOf, totpAtStep } from '../mfa/totp-reference';

// https: PUBLIC_URL is also the OpenID Provider's issuer (v4), https or loopback http only.
const PUBLIC_URL = 'https://auth.test';
const APP = 'https://app.test';
const CALLBACK = `${PUBLIC_URL}/auth/oidc/acme/callback`;
const REDIRECT_TO = `${APP}/signed-in?from=test`;

let provider: OidcTestProvider;
let t: TestApp;
/** Moves the service's clock (states, exchange codes), not the provider's. */
let clockOffsetMs = 0;

beforeAll(async () => {
  provider = await startOidcTestProvider({ redirectUri: CALLBACK });
  t = await createTestApp(
    {
      OIDC_PROVIDERS: 'acme',
      OIDC_ACME_ISSUER: provider.issuer,
      OIDC_ACME_CLIENT_ID: provider.clientId,
      OIDC_ACME_CLIENT_SECRET: provider.clientSecret,
      OIDC_ACME_NAME: 'Acme Corp',
      PUBLIC_URL,
      REDIRECT_ALLOWLIST: APP,
    },
    { clock: () => new Date(Date.now() + clockOffsetMs) },
  );
});
afterAll(async () => {
  await t?.close();
  await provider?.stop();
});
afterEach(() => {
  clockOffsetMs = 0;
});

let subjects = 0;
const account = (overrides: Partial<TestAccount> = {}): TestAccount => ({
  sub: `subject-${process.pid}-${++subjects}`,
  email: uniqueEmail('oidc'),
  email_verified: true,
  name: 'Ada Lovelace',
  ...overrides,
});

/** GET /start: the provider URL it redirects to and the binding cookie it sets. */
async function start(redirectTo = REDIRECT_TO) {
  const response = await request(t.app).get('/auth/oidc/acme/start').query({ redirectTo }).expect(302);
  const cookie = (response.headers['set-cookie'] as unknown as string[]).find((line) => line.startsWith('oidc_binding='))!;
  return { location: new URL(response.headers.location!), cookie, binding: cookie.split(';')[0]! };
}

/** The service's callback, as the browser that started (or another) would call it. */
function callback(url: URL, binding: string | undefined) {
  const call = request(t.app).get(`${url.pathname}${url.search}`);
  return binding ? call.set('Cookie', binding) : call;
}

/** Start, the provider's login as `who`, and the callback: where the browser is sent back. */
async function signIn(who: TestAccount): Promise<URL> {
  await provider.signInAs(who);
  const started = await start();
  const back = await followToCallback(started.location.href, CALLBACK);
  const response = await callback(back, started.binding).expect(302);
  return new URL(response.headers.location!);
}

const exchange = (code: string) => request(t.app).post('/auth/oidc/exchange').send({ code });

/** A whole sign-in down to the token response. */
async function signInForTokens(who: TestAccount) {
  const back = await signIn(who);
  expect(back.searchParams.get('error')).toBeNull();
  const response = await exchange(back.searchParams.get('code')!).expect(200);
  return response.body as { user: { id: string; email: string; emailVerified: boolean; name: string | null }; accessToken: string; refreshToken: string };
}

const count = async (sql: string, params: unknown[] = []) => Number((await t.database.query<{ n: string }>(sql, params))[0]!.n);
const fingerprint = async () => ({
  users: await count('SELECT count(*) AS n FROM "user"'),
  identities: await count('SELECT count(*) AS n FROM user_identity'),
  codes: await count('SELECT count(*) AS n FROM oidc_exchange_code'),
  sessions: await count('SELECT count(*) AS n FROM session WHERE "revokedAt" IS NULL'),
});

describe('GET /auth/oidc/providers', () => {
  it('lists the configured providers by id and display name', async () => {
    const response = await request(t.app).get('/auth/oidc/providers').expect(200);
    expect(response.body).toEqual({ providers: [{ id: 'acme', name: 'Acme Corp' }] });
  });
});

describe('GET /auth/oidc/{id}/start', () => {
  it('redirects to the authorization endpoint with code, state, nonce and an S256 PKCE challenge, and binds the browser', async () => {
    const { location, cookie } = await start();
    expect(location.origin).toBe(provider.issuer);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: provider.clientId,
      redirect_uri: CALLBACK,
      scope: 'openid email profile',
      code_challenge_method: 'S256',
    });
    for (const name of ['state', 'nonce', 'code_challenge']) expect(location.searchParams.get(name)).toMatch(/^[\w-]{43,}$/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\/auth\/oidc\/acme\/callback/);
    // The state row holds hashes, never the state, the verifier or the cookie.
    const verifier = cookie.split(';')[0]!.split('=')[1]!;
    const dump = JSON.stringify(await t.database.query('SELECT * FROM oidc_state'));
    expect(dump).not.toContain(location.searchParams.get('state'));
    expect(dump).not.toContain(verifier);
  });

  it('answers 404 for an unknown provider', async () => {
    const response = await request(t.app).get('/auth/oidc/nobody/start').query({ redirectTo: REDIRECT_TO }).expect(404);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it.each([
    ['another origin', 'https://evil.test/'],
    ['a relative path', '/signed-in'],
    ['a scheme-relative URL', '//evil.test/x'],
    ['credentials before the host', 'https://app.test@evil.test/'],
    ['an encoded host', 'https://app%2etest.evil.test/'],
    ['a backslash trick', 'https:\\\\evil.test\\app.test'],
    ['another port', 'https://app.test:8443/'],
    ['plain http of the allowed host', 'http://app.test/'],
    ['a javascript URL', 'javascript:alert(1)//https://app.test'],
  ])('answers 400 for a redirectTo outside the allowlist: %s', async (_case, redirectTo) => {
    const before = await count('SELECT count(*) AS n FROM oidc_state');
    const response = await request(t.app).get('/auth/oidc/acme/start').query({ redirectTo }).expect(400);
    expect(response.body).toMatchObject({ code: 'validation_failed', errors: [{ path: 'redirectTo' }] });
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(await count('SELECT count(*) AS n FROM oidc_state')).toBe(before);
  });

  it('answers 400 without redirectTo', async () => {
    await request(t.app).get('/auth/oidc/acme/start').expect(400);
  });
});

describe('the whole sign-in (start, provider, callback, POST /auth/oidc/exchange)', () => {
  it('creates an account for a new identity: verified as the provider says, no password, amr ext', async () => {
    const who = account();
    const back = await signIn(who);
    expect(`${back.origin}${back.pathname}`).toBe(`${APP}/signed-in`);
    expect(back.searchParams.get('from')).toBe('test');
    const code = back.searchParams.get('code')!;
    expect(code).toMatch(/^[\w-]{43}$/);

    const tokens = (await exchange(code).expect(200)).body;
    expect(tokens).toMatchObject({ user: { email: who.email, emailVerified: true, name: 'Ada Lovelace' }, tokenType: 'Bearer' });
    expect(decodeJwt(tokens.accessToken).amr).toEqual(['ext']);
    const me = await request(t.app).get('/auth/me').set('Authorization', `Bearer ${tokens.accessToken}`).expect(200);
    expect(me.body.user.id).toBe(tokens.user.id);
    const [row] = await t.database.query<{ passwordHash: string | null }>('SELECT "passwordHash" FROM "user" WHERE id = $1', [tokens.user.id]);
    expect(row!.passwordHash).toBeNull();
    // A refresh keeps the amr of the provider sign-in.
    const refreshed = await request(t.app).post('/auth/refresh').send({ refreshToken: tokens.refreshToken }).expect(200);
    expect(decodeJwt(refreshed.body.accessToken).amr).toEqual(['ext']);
  });

  it('creates an unverified account when the provider does not vouch for the address', async () => {
    const tokens = await signInForTokens(account({ email_verified: false }));
    expect(tokens.user.emailVerified).toBe(false);
  });

  it('signs a known identity in to its user again', async () => {
    const who = account();
    const first = await signInForTokens(who);
    const again = await signInForTokens({ ...who, email: uniqueEmail('changed-at-provider') });
    expect(again.user.id).toBe(first.user.id);
    expect(await count('SELECT count(*) AS n FROM user_identity WHERE subject = $1', [who.sub])).toBe(1);
  });

  it('makes one account and one identity when the same new identity signs in twice at once', async () => {
    const who = account();
    await provider.signInAs(who);
    const flows = await Promise.all([start(), start()]);
    const backs = await Promise.all(flows.map((flow) => followToCallback(flow.location.href, CALLBACK)));
    const responses = await Promise.all(backs.map((back, i) => callback(back, flows[i]!.binding).expect(302)));
    const codes = responses.map((response) => new URL(response.headers.location!).searchParams.get('code')!);
    const users = await Promise.all(codes.map(async (code) => (await exchange(code).expect(200)).body.user.id));
    expect(users[0]).toBe(users[1]);
    expect(await count('SELECT count(*) AS n FROM user_identity WHERE subject = $1', [who.sub])).toBe(1);
    expect(await count('SELECT count(*) AS n FROM "user" WHERE email = $1', [who.email])).toBe(1);
  });

  it('refuses a password login of an account without a password like a wrong password', async () => {
    const who = account();
    await signInForTokens(who);
    const response = await request(t.app).post('/auth/login').send({ email: who.email, password: STRONG_PASSWORD }).expect(401);
    expect(response.body.code).toBe('invalid_credentials');
    expect(t.logs().some((line) => line.event === 'auth.login' && line.reason === 'no-password')).toBe(true);
  });

  it('answers 409 no_password to POST /auth/password for an account without a password', async () => {
    const tokens = await signInForTokens(account());
    const response = await request(t.app)
      .post('/auth/password')
      .set('Authorization', `Bearer ${tokens.accessToken}`)
      .send({ currentPassword: 'anything at all', newPassword: 'a brand new passphrase' })
      .expect(409);
    expect(response.body.code).toBe('no_password');
  });

  it('never logs the state, the code, the verifier or the tokens', async () => {
    await provider.signInAs(account());
    const started = await start();
    const back = await followToCallback(started.location.href, CALLBACK);
    const response = await callback(back, started.binding).expect(302);
    const code = new URL(response.headers.location!).searchParams.get('code')!;
    await exchange(code).expect(200);
    const logs = t.logText();
    for (const secret of [back.searchParams.get('state')!, back.searchParams.get('code')!, started.binding.split('=')[1]!, code])
      expect(logs).not.toContain(secret);
  });
});

describe('linking by address', () => {
  it('links a verified provider address to the account that has it (verified account keeps its password and sessions)', async () => {
    const registered = await registerUser(t.app);
    await t.database.query('UPDATE "user" SET "emailVerifiedAt" = now() WHERE id = $1', [registered.user.id]);
    const tokens = await signInForTokens(account({ email: registered.email }));
    expect(tokens.user.id).toBe(registered.user.id);
    await request(t.app).post('/auth/login').send({ email: registered.email, password: STRONG_PASSWORD }).expect(200);
    await request(t.app).get('/auth/me').set('Authorization', `Bearer ${registered.accessToken}`).expect(200);
  });

  it('takes over an unverified account first (pre-hijack defence): its password, sessions and mail tokens are gone', async () => {
    // Someone registered the victim's address without owning it.
    const squatter = await registerUser(t.app);
    await request(t.app).post('/auth/password/forgot').send({ email: squatter.email }).expect(202);
    const tokens = await signInForTokens(account({ email: squatter.email }));
    expect(tokens.user).toMatchObject({ id: squatter.user.id, emailVerified: true });
    await request(t.app).post('/auth/login').send({ email: squatter.email, password: STRONG_PASSWORD }).expect(401);
    await request(t.app).get('/auth/me').set('Authorization', `Bearer ${squatter.accessToken}`).expect(401);
    await request(t.app).post('/auth/refresh').send({ refreshToken: squatter.refreshToken }).expect(401);
    expect(await count('SELECT count(*) AS n FROM email_token WHERE "userId" = $1 AND "revokedAt" IS NULL AND "usedAt" IS NULL', [squatter.user.id])).toBe(0);
    // The provider's session works.
    await request(t.app).get('/auth/me').set('Authorization', `Bearer ${tokens.accessToken}`).expect(200);
  });

  it('never links an unverified provider address: redirects with error=email_not_verified and changes nothing', async () => {
    const holder = await registerUser(t.app);
    const before = await fingerprint();
    const back = await signIn(account({ email: holder.email, email_verified: false }));
    expect(back.searchParams.get('error')).toBe('email_not_verified');
    expect(back.searchParams.get('code')).toBeNull();
    expect(await fingerprint()).toEqual(before);
    await request(t.app).post('/auth/login').send({ email: holder.email, password: STRONG_PASSWORD }).expect(200);
  });

  it('refuses an identity without an email address (error=email_missing), creating nothing', async () => {
    const before = await fingerprint();
    const back = await signIn({ sub: `no-mail-${process.pid}`, name: 'Nobody' });
    expect(back.searchParams.get('error')).toBe('email_missing');
    expect(await fingerprint()).toEqual(before);
  });
});

describe('GET /auth/oidc/{id}/callback: the state', () => {
  it('answers 400 without a state, or with a forged one, and spends nothing', async () => {
    await provider.signInAs(account());
    const started = await start();
    const back = await followToCallback(started.location.href, CALLBACK);
    await callback(new URL(`${CALLBACK}?code=${back.searchParams.get('code')}`), started.binding).expect(400);
    const forged = new URL(back.href);
    forged.searchParams.set('state', 'A'.repeat(43));
    const response = await callback(forged, started.binding).expect(400);
    expect(response.body).toMatchObject({ status: 400, code: 'invalid_state' });
    // The real one still works once.
    const ok = await callback(back, started.binding).expect(302);
    expect(new URL(ok.headers.location!).searchParams.get('code')).toBeTruthy();
  });

  it('answers 400 to a replayed (spent) state', async () => {
    await provider.signInAs(account());
    const started = await start();
    const back = await followToCallback(started.location.href, CALLBACK);
    await callback(back, started.binding).expect(302);
    const replay = await callback(back, started.binding).expect(400);
    expect(replay.body.code).toBe('invalid_state');
  });

  it('answers 400 to a state presented by another browser (no or another binding cookie)', async () => {
    await provider.signInAs(account());
    const started = await start();
    const other = await start();
    const back = await followToCallback(started.location.href, CALLBACK);
    await callback(back, undefined).expect(400);
    await callback(back, other.binding).expect(400);
    // Neither attempt spent it.
    await callback(back, started.binding).expect(302);
  });

  it('answers 400 to a state older than 10 minutes', async () => {
    await provider.signInAs(account());
    const started = await start();
    const back = await followToCallback(started.location.href, CALLBACK);
    clockOffsetMs = 10 * 60_000 + 1000;
    const before = await fingerprint();
    await callback(back, started.binding).expect(400);
    expect(await fingerprint()).toEqual(before);
  });
});

describe('GET /auth/oidc/{id}/callback: what the provider answers', () => {
  it('passes a refusal at the provider back as error=access_denied, never its text', async () => {
    await provider.refuseNextSignIn('<script>alert("owned")</script>');
    const started = await start();
    const back = await followToCallback(started.location.href, CALLBACK);
    expect(back.searchParams.get('error')).toBe('access_denied');
    const response = await callback(back, started.binding).expect(302);
    const location = response.headers.location!;
    expect(new URL(location).searchParams.get('error')).toBe('access_denied');
    expect(location).not.toMatch(/script|owned/);
    expect([...new URL(location).searchParams.keys()].sort()).toEqual(['error', 'from']);
  });

  it.each([
    ['a wrong nonce', { claims: { nonce: 'not-the-nonce-we-sent' } }],
    ['a wrong audience', { claims: { aud: 'some-other-client' } }],
    ['a wrong issuer', { claims: { iss: 'https://evil.test' } }],
    ['an expired token', { claims: { exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 7200 } }],
    ['a signature by a key the provider does not publish', { foreignKey: true }],
  ])('refuses an ID token with %s: error=invalid_response, nothing created or linked', async (_case, tamper) => {
    const holder = await registerUser(t.app);
    await t.database.query('UPDATE "user" SET "emailVerifiedAt" = now() WHERE id = $1', [holder.user.id]);
    const tamperedBefore = await provider.tampered();
    const before = await fingerprint();
    await provider.tamperNextIdToken(tamper);
    // Once as a new account, once as a link to an existing one: neither happens.
    const back = await signIn(account());
    expect(await provider.tampered()).toBe(tamperedBefore + 1);
    expect(back.searchParams.get('error')).toBe('invalid_response');
    await provider.tamperNextIdToken(tamper);
    const link = await signIn(account({ email: holder.email }));
    expect(link.searchParams.get('error')).toBe('invalid_response');
    expect(await fingerprint()).toEqual(before);
  });

  it('accepts the same sign-in untampered (the tampering is what the checks refuse)', async () => {
    const back = await signIn(account());
    expect(back.searchParams.get('code')).toBeTruthy();
  });
});

describe('POST /auth/oidc/exchange', () => {
  it('spends the code once: a second exchange answers 401', async () => {
    const back = await signIn(account());
    const code = back.searchParams.get('code')!;
    await exchange(code).expect(200);
    const again = await exchange(code).expect(401);
    expect(again.body.code).toBe('invalid_exchange_code');
  });

  it('refuses a code older than 60 seconds', async () => {
    const back = await signIn(account());
    clockOffsetMs = 61_000;
    await exchange(back.searchParams.get('code')!).expect(401);
  });

  it('answers 401 to an unknown code and 400 to a malformed body', async () => {
    await exchange('A'.repeat(43)).expect(401);
    await request(t.app).post('/auth/oidc/exchange').send({}).expect(400);
    await request(t.app).post('/auth/oidc/exchange').send({ code: 'x', extra: 1 }).expect(400);
  });

  it('stores the code only as a hash', async () => {
    const back = await signIn(account());
    const code = back.searchParams.get('code')!;
    expect(JSON.stringify(await t.database.query('SELECT * FROM oidc_exchange_code'))).not.toContain(code);
  });
});

describe('GET /auth/identities and DELETE /auth/identities/{id}', () => {
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  it("lists the caller's identities", async () => {
    const who = account();
    const tokens = await signInForTokens(who);
    const response = await request(t.app).get('/auth/identities').set(bearer(tokens.accessToken)).expect(200);
    expect(response.body).toEqual({ identities: [{ id: expect.any(String), provider: 'acme', email: who.email, createdAt: expect.any(String) }] });
    await request(t.app).get('/auth/identities').expect(401);
  });

  it("shows the provider's current address after it changes there; the account's own address stays", async () => {
    const who = account();
    await signInForTokens(who);
    const moved = { ...who, email: `moved.${who.email}` };
    const tokens = await signInForTokens(moved);
    const response = await request(t.app).get('/auth/identities').set(bearer(tokens.accessToken)).expect(200);
    expect(response.body.identities).toEqual([expect.objectContaining({ provider: 'acme', email: moved.email })]);
    expect((await request(t.app).get('/auth/me').set(bearer(tokens.accessToken)).expect(200)).body.user.email).toBe(who.email);
  });

  it('refuses to unlink the last sign-in method (no password, no other identity) with 409 last_sign_in_method', async () => {
    const tokens = await signInForTokens(account());
    const [identity] = (await request(t.app).get('/auth/identities').set(bearer(tokens.accessToken))).body.identities;
    const response = await request(t.app).delete(`/auth/identities/${identity.id}`).set(bearer(tokens.accessToken)).expect(409);
    expect(response.body.code).toBe('last_sign_in_method');
    expect(await count('SELECT count(*) AS n FROM user_identity WHERE id = $1', [identity.id])).toBe(1);
  });

  it('unlinks an identity of an account that has a password, after which the identity makes a new account', async () => {
    const registered = await registerUser(t.app);
    await t.database.query('UPDATE "user" SET "emailVerifiedAt" = now() WHERE id = $1', [registered.user.id]);
    const who = account({ email: registered.email });
    await signInForTokens(who);
    const [identity] = (await request(t.app).get('/auth/identities').set(bearer(registered.accessToken))).body.identities;
    await request(t.app).delete(`/auth/identities/${identity.id}`).set(bearer(registered.accessToken)).expect(204);
    expect((await request(t.app).get('/auth/identities').set(bearer(registered.accessToken))).body.identities).toEqual([]);
  });

  it("answers 404 for an unknown id, a malformed id, or another user's identity", async () => {
    const mine = await signInForTokens(account());
    const theirs = await signInForTokens(account());
    const [their] = (await request(t.app).get('/auth/identities').set(bearer(theirs.accessToken))).body.identities;
    await request(t.app).delete(`/auth/identities/${their.id}`).set(bearer(mine.accessToken)).expect(404);
    await request(t.app).delete('/auth/identities/00000000-0000-4000-8000-000000000000').set(bearer(mine.accessToken)).expect(404);
    await request(t.app).delete('/auth/identities/not-a-uuid').set(bearer(mine.accessToken)).expect(404);
    await request(t.app).delete(`/auth/identities/${their.id}`).expect(401);
  });

  it('lets an account without a password set one through the password reset, after which its last identity can go', async () => {
    const who = account();
    const tokens = await signInForTokens(who);
    // The reset flow's token, read from the outbox (the mail tests prove the delivery).
    await request(t.app).post('/auth/password/forgot').send({ email: who.email }).expect(202);
    const [mail] = await t.database.query<{ textBody: string }>(
      `SELECT "textBody" FROM mail_outbox WHERE recipient = $1 AND kind = 'reset-password' ORDER BY "createdAt" DESC LIMIT 1`,
      [who.email],
    );
    const token = /token=([\w-]+)/.exec(mail!.textBody)![1]!;
    await request(t.app).post('/auth/password/reset').send({ token, newPassword: 'a freshly chosen passphrase' }).expect(204);
    await request(t.app).post('/auth/login').send({ email: who.email, password: 'a freshly chosen passphrase' }).expect(200);
    const login = await request(t.app).post('/auth/login').send({ email: who.email, password: 'a freshly chosen passphrase' }).expect(200);
    const [identity] = (await request(t.app).get('/auth/identities').set(bearer(login.body.accessToken))).body.identities;
    await request(t.app).delete(`/auth/identities/${identity.id}`).set(bearer(login.body.accessToken)).expect(204);
    expect(tokens.user.id).toBe(login.body.user.id);
  });
});

describe('a provider that cannot be reached', () => {
  let down: TestApp;
  beforeAll(async () => {
    // A port nothing listens on: the provider's stopped copy.
    const stopped = await startOidcTestProvider({ redirectUri: `${PUBLIC_URL}/auth/oidc/down/callback` });
    await stopped.stop();
    down = await createTestApp({
      OIDC_PROVIDERS: 'down',
      OIDC_DOWN_ISSUER: stopped.issuer,
      OIDC_DOWN_CLIENT_ID: 'client',
      OIDC_DOWN_CLIENT_SECRET: 'secret',
      PUBLIC_URL,
      REDIRECT_ALLOWLIST: APP,
    });
  });
  afterAll(() => down?.close());

  it('starts anyway, with a warning, and password sign-in keeps working', async () => {
    await request(down.app)
      .get('/auth/oidc/providers')
      .expect(200, { providers: [{ id: 'down', name: 'down' }] });
    const email = uniqueEmail('down');
    await request(down.app).post('/auth/register').send({ email, password: STRONG_PASSWORD }).expect(201);
    await request(down.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(200);
    const warned = () => down.logs().some((line) => line.event === 'oidc.discovery' && line.outcome === 'failure' && line.level === 40);
    for (let wait = 0; wait < 50 && !warned(); wait++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(warned()).toBe(true);
  });

  it('sends the browser back with error=provider_unavailable instead of starting', async () => {
    const response = await request(down.app).get('/auth/oidc/down/start').query({ redirectTo: REDIRECT_TO }).expect(302);
    expect(new URL(response.headers.location!).searchParams.get('error')).toBe('provider_unavailable');
    expect(response.headers['set-cookie']).toBeUndefined();
  });
});

describe('a provider-created account with a second factor', () => {
  it('gets the mfaRequired body from the exchange, no tokens, and tokens with amr ext+otp after verify', async () => {
    const who = account();
    const first = await signInForTokens(who);
    const bearer = { Authorization: `Bearer ${first.accessToken}` };
    const { secret } = (await request(t.app).post('/auth/mfa/totp/setup').set(bearer).expect(200)).body as { secret: string };
    const step = stepOf(Date.now());
    await request(t.app)
      .post('/auth/mfa/totp/confirm')
      .set(bearer)
      .send({ code: totpAtStep(secret, step) })
      .expect(200);

    const back = await signIn(who);
    const challenge = await exchange(back.searchParams.get('code')!).expect(200);
    expect(challenge.body).toEqual({ mfaRequired: true, mfaToken: expect.any(String), methods: ['totp', 'recovery_code'] });

    // The confirmation spent the current step's code: the next step's (one step of drift) completes it.
    const verified = await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: challenge.body.mfaToken, code: totpAtStep(secret, step + 1) })
      .expect(200);
    expect(decodeJwt(verified.body.accessToken).amr).toEqual(['ext', 'otp']);
    expect(verified.body.user).toMatchObject({ id: first.user.id, mfaEnabled: true });
  });
});

describe('provider sign-ins in the audit log and against a disabled account', () => {
  it('records user.registered, oidc.linked and user.login for a new account, in one sign-in', async () => {
    const first = await signInForTokens(account());
    const rows = await t.database.query<{ type: string; data: { provider?: string } }>(
      `SELECT type, data FROM audit_event WHERE "userId" = $1 ORDER BY at, id`,
      [first.user.id],
    );
    // The first two share a transaction (and its timestamp): their order between them is not defined.
    expect(rows.map((row) => row.type).sort()).toEqual(['oidc.linked', 'user.login', 'user.registered']);
    expect(rows.find((row) => row.type === 'oidc.linked')!.data.provider).toBe('acme');
  });

  it('answers 403 account_disabled at the exchange for an account an administrator disabled, opening no session', async () => {
    const who = account();
    const first = await signInForTokens(who);
    await t.database.query(`UPDATE "user" SET "disabledAt" = now() WHERE id = $1`, [first.user.id]);
    const back = await signIn(who);
    const refused = await exchange(back.searchParams.get('code')!).expect(403);
    expect(refused.body.code).toBe('account_disabled');
    expect(await count(`SELECT count(*) AS n FROM session WHERE "userId" = $1`, [first.user.id])).toBe(1);
  });
});
