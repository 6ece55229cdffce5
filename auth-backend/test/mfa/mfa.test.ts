/**
 * The second factor (docs/api.md, "Second factor: TOTP and recovery codes (v3)"), over real
 * HTTP on a real database, with codes computed by an independent TOTP (totp-reference.ts) and the
 * service's clock under the test's control.
 */
import { spawnSync } from 'node:child_process';
import request from 'supertest';
import { createTestApp, registerUser, STRONG_PASSWORD, type TestApp } from '../support/test-app';
import { describeWithPgTools } from '../support/test-database';
import { base32Decode, hotp, stepOf, totpAtStep } from './totp-reference';
import { hashOpaqueToken } from '../../src/crypto/opaque-token';
import { statementsSent } from '../support/statements-sent';

const claims = (accessToken: string) => JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()) as { amr: string[]; sid: string };
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** The service's clock: the middle of a time step, moved by the tests. */
class TestClock {
  private at = Math.floor(Date.now() / 30_000) * 30_000 + 15_000;
  readonly now = () => new Date(this.at);
  get step() {
    return stepOf(this.at);
  }
  /** Moves to the middle of step `step`. */
  toStep(step: number) {
    this.at = step * 30_000 + 15_000;
  }
  advance(ms: number) {
    this.at += ms;
  }
}

/** Everything secret that a test handled: none of it may appear on a log line or in the database. */
const secrets = new Set<string>();
const remember = <T extends string>(value: T): T => {
  secrets.add(value);
  return value;
};

interface Enrolled {
  email: string;
  accessToken: string;
  secret: string;
  recoveryCodes: string[];
  /** The newest step used so far (steps are accepted once: each stage uses a later one). */
  step: number;
}

/** Registers and enrolls a user; `proved`: the address is verified first (by its verification link), as an owner's is. */
async function enroll(t: TestApp, clock: TestClock, options: { proved?: boolean } = {}): Promise<Enrolled> {
  const user = await registerUser(t.app);
  if (options.proved) {
    const [mail] = await t.database.query<{ textBody: string }>(`SELECT "textBody" FROM mail_outbox WHERE recipient = $1 AND kind = 'verify-email'`, [
      user.email,
    ]);
    const token = /token=([\w-]+)/.exec(mail!.textBody)![1]!;
    await request(t.app).post('/auth/email/verify').send({ token }).expect(200);
  }
  const setup = await request(t.app).post('/auth/mfa/totp/setup').set(bearer(user.accessToken)).expect(200);
  const secret = remember(setup.body.secret as string);
  remember(base32Decode(secret).toString('hex'));
  remember(base32Decode(secret).toString('base64'));
  const code = remember(totpAtStep(secret, clock.step));
  const confirmed = await request(t.app).post('/auth/mfa/totp/confirm').set(bearer(user.accessToken)).send({ code }).expect(200);
  const recoveryCodes = (confirmed.body.recoveryCodes as string[]).map(remember);
  return { email: user.email, accessToken: user.accessToken, secret, recoveryCodes, step: clock.step };
}

/** A password login of an enrolled account: the mfaRequired body. */
async function startLogin(t: TestApp, email: string): Promise<string> {
  const response = await request(t.app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(200);
  expect(response.body).toEqual({ mfaRequired: true, mfaToken: expect.any(String), methods: ['totp', 'recovery_code'] });
  return remember(response.body.mfaToken as string);
}

/** Moves the clock to a step after every one used so far and returns that step's code. */
function nextCode(clock: TestClock, user: Enrolled): string {
  user.step = Math.max(user.step + 1, clock.step);
  clock.toStep(user.step);
  return remember(totpAtStep(user.secret, user.step));
}

describe('the independent TOTP of these tests', () => {
  it('gives the RFC 6238 test vectors (SHA-1, secret "12345678901234567890")', () => {
    const key = Buffer.from('12345678901234567890', 'ascii');
    expect(hotp(key, stepOf(59_000), 8)).toBe('94287082');
    expect(hotp(key, stepOf(1_111_111_109_000), 8)).toBe('07081804');
    expect(hotp(key, stepOf(2_000_000_000_000), 8)).toBe('69279037');
    expect(hotp(key, stepOf(59_000))).toBe('287082');
  });
});

describe('second factor: TOTP and recovery codes', () => {
  const clock = new TestClock();
  let t: TestApp;
  beforeAll(async () => {
    // Lots of free failures here: the throttle has its own app below.
    t = await createTestApp({ THROTTLE_ACCOUNT_FREE_FAILURES: '99' }, { clock: clock.now });
  });
  afterAll(() => t.close());

  it('enrolls (setup, confirm) with a real authenticator URL, then login asks for the factor and verify completes it', async () => {
    const user = await registerUser(t.app);
    const other = await request(t.app).post('/auth/login').send({ email: user.email, password: STRONG_PASSWORD }).expect(200);
    expect(other.body.user.mfaEnabled).toBe(false);

    const setup = await request(t.app).post('/auth/mfa/totp/setup').set(bearer(user.accessToken)).expect(200);
    expect(setup.headers['cache-control']).toBe('no-store');
    const secret = remember(setup.body.secret as string);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(setup.body.otpauthUrl as string);
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe(`/Auth Backend:${user.email}`);
    expect(Object.fromEntries(url.searchParams)).toEqual({ secret, issuer: 'Auth Backend', algorithm: 'SHA1', digits: '6', period: '30' });
    expect(setup.body.qrCodeSvg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<\/svg>$/);
    // Pending: login is still by password alone.
    const pending = await request(t.app).post('/auth/login').send({ email: user.email, password: STRONG_PASSWORD }).expect(200);
    expect(pending.body.accessToken).toEqual(expect.any(String));

    // A wrong code does not confirm; the right one does, and revokes every other session.
    const wrong = await request(t.app)
      .post('/auth/mfa/totp/confirm')
      .set(bearer(user.accessToken))
      .send({ code: '000000' === totpAtStep(secret, clock.step) ? '111111' : '000000' })
      .expect(400);
    expect(wrong.body.code).toBe('invalid_code');
    const code = remember(totpAtStep(secret, clock.step));
    const confirmed = await request(t.app).post('/auth/mfa/totp/confirm').set(bearer(user.accessToken)).send({ code }).expect(200);
    expect(confirmed.body.recoveryCodes).toHaveLength(10);
    (confirmed.body.recoveryCodes as string[]).forEach((c) => remember(c));
    for (const c of confirmed.body.recoveryCodes as string[]) expect(c).toMatch(/^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/);
    expect(new Set(confirmed.body.recoveryCodes).size).toBe(10);
    await request(t.app).post('/auth/refresh').send({ refreshToken: other.body.refreshToken }).expect(401);
    await request(t.app).post('/auth/refresh').send({ refreshToken: pending.body.refreshToken }).expect(401);
    const me = await request(t.app).get('/auth/me').set(bearer(user.accessToken)).expect(200);
    expect(me.body.user.mfaEnabled).toBe(true);
    const [notice] = await t.database.query<{ subject: string }>(`SELECT subject FROM mail_outbox WHERE recipient = $1 AND kind = 'second-factor-enabled'`, [
      user.email,
    ]);
    expect(notice!.subject).toMatch(/Two-step verification is on/);

    // Setup again: 409. Confirm again: 409.
    expect((await request(t.app).post('/auth/mfa/totp/setup').set(bearer(user.accessToken)).expect(409)).body.code).toBe('mfa_already_enabled');
    expect((await request(t.app).post('/auth/mfa/totp/confirm').set(bearer(user.accessToken)).send({ code: '123456' }).expect(409)).body.code).toBe(
      'mfa_already_enabled',
    );

    // Login: no tokens, an mfaToken; verify with the next step's code (the confirming code is spent).
    const mfaToken = await startLogin(t, user.email);
    clock.toStep(clock.step + 1);
    const verified = await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken, code: remember(totpAtStep(secret, clock.step)) })
      .expect(200);
    expect(verified.headers['cache-control']).toBe('no-store');
    expect(verified.body).toEqual({
      user: expect.objectContaining({ email: user.email, mfaEnabled: true }),
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: expect.any(Number),
    });
    expect(claims(verified.body.accessToken).amr).toEqual(['pwd', 'otp']);
    const refreshed = await request(t.app).post('/auth/refresh').send({ refreshToken: verified.body.refreshToken }).expect(200);
    expect(claims(refreshed.body.accessToken).amr).toEqual(['pwd', 'otp']);
    expect(refreshed.body.user.mfaEnabled).toBe(true);
  });

  it('answers 409 to confirm without a pending factor, and 400 to codes that are not 6 digits', async () => {
    const user = await registerUser(t.app);
    expect((await request(t.app).post('/auth/mfa/totp/confirm').set(bearer(user.accessToken)).send({ code: '123456' }).expect(409)).body.code).toBe(
      'mfa_not_pending',
    );
    const bad = await request(t.app).post('/auth/mfa/totp/confirm').set(bearer(user.accessToken)).send({ code: '12345' }).expect(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ path: 'code' })]);
    await request(t.app).post('/auth/mfa/totp/setup').expect(401);
  });

  it('a new setup replaces a pending one: only the newest secret confirms', async () => {
    const user = await registerUser(t.app);
    const first = remember((await request(t.app).post('/auth/mfa/totp/setup').set(bearer(user.accessToken)).expect(200)).body.secret as string);
    const second = remember((await request(t.app).post('/auth/mfa/totp/setup').set(bearer(user.accessToken)).expect(200)).body.secret as string);
    expect(second).not.toBe(first);
    await request(t.app)
      .post('/auth/mfa/totp/confirm')
      .set(bearer(user.accessToken))
      .send({ code: totpAtStep(first, clock.step) })
      .expect(400);
    await request(t.app)
      .post('/auth/mfa/totp/confirm')
      .set(bearer(user.accessToken))
      .send({ code: totpAtStep(second, clock.step) })
      .expect(200);
  });

  it('accepts a code at most once: a replay is refused, and of two concurrent uses exactly one passes', async () => {
    const user = await enroll(t, clock);
    const code = nextCode(clock, user);
    const first = await startLogin(t, user.email);
    await request(t.app).post('/auth/mfa/verify').send({ mfaToken: first, code }).expect(200);
    const replay = await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: await startLogin(t, user.email), code })
      .expect(401);
    expect(replay.body.code).toBe('invalid_code');

    const concurrent = nextCode(clock, user);
    const tokens = await Promise.all([startLogin(t, user.email), startLogin(t, user.email), startLogin(t, user.email)]);
    const answers = await Promise.all(tokens.map((mfaToken) => request(t.app).post('/auth/mfa/verify').send({ mfaToken, code: concurrent })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401, 401]);
  });

  it('accepts one step of drift either side, and refuses two', async () => {
    const user = await enroll(t, clock);
    // One step behind the clock, then one ahead.
    clock.toStep(user.step + 2);
    await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: await startLogin(t, user.email), code: remember(totpAtStep(user.secret, clock.step - 1)) })
      .expect(200);
    clock.toStep(clock.step + 2);
    await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: await startLogin(t, user.email), code: remember(totpAtStep(user.secret, clock.step + 1)) })
      .expect(200);
    // Two behind, two ahead: refused.
    clock.toStep(clock.step + 10);
    const mfaToken = await startLogin(t, user.email);
    for (const step of [clock.step - 2, clock.step + 2]) {
      const refused = await request(t.app)
        .post('/auth/mfa/verify')
        .send({ mfaToken, code: remember(totpAtStep(user.secret, step)) })
        .expect(401);
      expect(refused.body.code).toBe('invalid_code');
    }
    // The same mfaToken still works (2 wrong codes of 5) with the current code.
    const ok = await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken, code: remember(totpAtStep(user.secret, clock.step)) })
      .expect(200);
    expect(claims(ok.body.accessToken).amr).toEqual(['pwd', 'otp']);
    user.step = clock.step;
  });

  it('accepts each recovery code once (any case, with or without dashes), with amr ["pwd", "mfa"]', async () => {
    const user = await enroll(t, clock);
    const [code, other] = user.recoveryCodes;
    const used = await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: await startLogin(t, user.email), recoveryCode: code })
      .expect(200);
    expect(claims(used.body.accessToken).amr).toEqual(['pwd', 'mfa']);
    const again = await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: await startLogin(t, user.email), recoveryCode: code })
      .expect(401);
    expect(again.body.code).toBe('invalid_code');
    const typed = other!.toLowerCase().replace(/-/g, ' ');
    await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: await startLogin(t, user.email), recoveryCode: typed })
      .expect(200);
    // Another user's code is nobody's code here.
    const stranger = await enroll(t, clock);
    await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: await startLogin(t, user.email), recoveryCode: stranger.recoveryCodes[0] })
      .expect(401);
  });

  it('the mfaToken: expires after 5 minutes, works once, dies at the 5th wrong code, and does nothing else', async () => {
    const user = await enroll(t, clock);
    const expiring = await startLogin(t, user.email);
    clock.advance(5 * 60_000 + 1000);
    const expired = await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: expiring, code: nextCode(clock, user) })
      .expect(401);
    expect(expired.body.code).toBe('invalid_mfa_token');

    const once = await startLogin(t, user.email);
    await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: once, code: nextCode(clock, user) })
      .expect(200);
    const spent = await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: once, code: nextCode(clock, user) })
      .expect(401);
    expect(spent.body.code).toBe('invalid_mfa_token');

    const guessed = await startLogin(t, user.email);
    const right = nextCode(clock, user);
    const wrongCode = right === '000000' ? '000001' : '000000';
    for (let i = 1; i <= 5; i++) {
      const wrong = await request(t.app).post('/auth/mfa/verify').send({ mfaToken: guessed, code: wrongCode }).expect(401);
      expect(wrong.body.code).toBe('invalid_code');
    }
    const dead = await request(t.app).post('/auth/mfa/verify').send({ mfaToken: guessed, code: right }).expect(401);
    expect(dead.body.code).toBe('invalid_mfa_token');

    // Wrong codes sent all at once: still exactly 5 are checked.
    const burst = await startLogin(t, user.email);
    const answers = await Promise.all(Array.from({ length: 8 }, () => request(t.app).post('/auth/mfa/verify').send({ mfaToken: burst, code: wrongCode })));
    expect(answers.map((a) => `${a.status} ${a.body.code}`).sort()).toEqual([...Array(5).fill('401 invalid_code'), ...Array(3).fill('401 invalid_mfa_token')]);
    await request(t.app).post('/auth/mfa/verify').send({ mfaToken: burst, code: right }).expect(401);

    // Not a bearer token, not a refresh token.
    const token = await startLogin(t, user.email);
    await request(t.app).get('/auth/me').set(bearer(token)).expect(401);
    await request(t.app).post('/auth/refresh').send({ refreshToken: token }).expect(401);
    await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: 'x'.repeat(43), code: '123456' })
      .expect(401);
    const both = await request(t.app).post('/auth/mfa/verify').send({ mfaToken: token, code: '123456', recoveryCode: 'AAAA-BBBB-CCCC' }).expect(400);
    expect(both.body.errors).toBeDefined();
  });

  it('"second factor" endpoints answer 403 mfa_required without otp/mfa in amr; with it, codes are replaced and the factor removed', async () => {
    const user = await enroll(t, clock);
    // The enrolling session signed in with a password only.
    for (const call of [
      request(t.app).post('/auth/mfa/recovery-codes').set(bearer(user.accessToken)),
      request(t.app).delete('/auth/mfa/totp').set(bearer(user.accessToken)).send({ code: '123456' }),
    ]) {
      const refused = await call.expect(403);
      expect(refused.body.code).toBe('mfa_required');
    }
    await request(t.app).post('/auth/mfa/recovery-codes').expect(401);

    const verified = await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: await startLogin(t, user.email), code: nextCode(clock, user) })
      .expect(200);
    const strong = verified.body.accessToken as string;
    const fresh = await request(t.app).post('/auth/mfa/recovery-codes').set(bearer(strong)).expect(200);
    expect(fresh.body.recoveryCodes).toHaveLength(10);
    (fresh.body.recoveryCodes as string[]).forEach((c) => remember(c));
    await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: await startLogin(t, user.email), recoveryCode: user.recoveryCodes[0] })
      .expect(401);
    await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: await startLogin(t, user.email), recoveryCode: fresh.body.recoveryCodes[0] })
      .expect(200);

    // Removing needs a current code; a wrong one changes nothing.
    await request(t.app)
      .delete('/auth/mfa/totp')
      .set(bearer(strong))
      .send({ code: totpAtStep(user.secret, clock.step + 5) })
      .expect(400);
    await request(t.app)
      .delete('/auth/mfa/totp')
      .set(bearer(strong))
      .send({ code: nextCode(clock, user) })
      .expect(204);
    expect((await request(t.app).get('/auth/me').set(bearer(strong)).expect(200)).body.user.mfaEnabled).toBe(false);
    const rows = await t.database.query(`SELECT 1 FROM mfa_factor f JOIN "user" u ON u.id = f."userId" WHERE u.email = $1`, [user.email]);
    expect(rows).toHaveLength(0);
    const codes = await t.database.query(`SELECT 1 FROM recovery_code c JOIN "user" u ON u.id = c."userId" WHERE u.email = $1`, [user.email]);
    expect(codes).toHaveLength(0);
    const [notice] = await t.database.query<{ subject: string }>(`SELECT subject FROM mail_outbox WHERE recipient = $1 AND kind = 'second-factor-disabled'`, [
      user.email,
    ]);
    expect(notice!.subject).toMatch(/Two-step verification is off/);
    const login = await request(t.app).post('/auth/login').send({ email: user.email, password: STRONG_PASSWORD }).expect(200);
    expect(claims(login.body.accessToken).amr).toEqual(['pwd']);
    expect((await request(t.app).post('/auth/mfa/recovery-codes').set(bearer(strong)).expect(409)).body.code).toBe('mfa_not_enabled');
  });

  it('a password reset never bypasses the factor (of an account whose address was proved; the first proof of an unproved one is account/unproved-account.test.ts)', async () => {
    const user = await enroll(t, clock, { proved: true });
    await request(t.app).post('/auth/password/forgot').send({ email: user.email }).expect(202);
    const [mail] = await t.database.query<{ textBody: string }>(`SELECT "textBody" FROM mail_outbox WHERE recipient = $1 AND kind = 'reset-password'`, [
      user.email,
    ]);
    const token = /token=([\w-]+)/.exec(mail!.textBody)![1]!;
    const newPassword = 'another perfectly good passphrase';
    await request(t.app).post('/auth/password/reset').send({ token, newPassword }).expect(204);
    const login = await request(t.app).post('/auth/login').send({ email: user.email, password: newPassword }).expect(200);
    expect(login.body).toEqual({ mfaRequired: true, mfaToken: expect.any(String), methods: ['totp', 'recovery_code'] });
    expect(login.body.accessToken).toBeUndefined();
    remember(login.body.mfaToken as string);
    const verified = await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: login.body.mfaToken, code: nextCode(clock, user) })
      .expect(200);
    expect(claims(verified.body.accessToken).amr).toEqual(['pwd', 'otp']);
  });

  it('writes no secret, code or mfaToken on a log line, nor into the database in the clear', async () => {
    expect(secrets.size).toBeGreaterThan(50);
    const text = t.logText();
    for (const secret of secrets) expect(text).not.toContain(secret);
    const factors = await t.database.query<{ sealedSecret: string }>(`SELECT "sealedSecret" FROM mfa_factor`);
    expect(factors.length).toBeGreaterThan(0);
    for (const row of factors) expect(row.sealedSecret).toMatch(/^v1\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/);
    const tables = await t.database.query<{ row: string }>(
      `SELECT row_to_json(x)::text AS row FROM (SELECT * FROM mfa_factor) x
       UNION ALL SELECT row_to_json(x)::text FROM (SELECT * FROM recovery_code) x
       UNION ALL SELECT row_to_json(x)::text FROM (SELECT * FROM mfa_challenge) x`,
    );
    const all = tables.map((r) => r.row).join('\n');
    for (const secret of secrets) {
      expect(all).not.toContain(secret);
      expect(all).not.toContain(secret.replace(/-/g, ''));
    }
  });

  it('a sealed secret is bound to its row: copied onto another factor, it does not open', async () => {
    const a = await enroll(t, clock);
    const b = await enroll(t, clock);
    await t.database.query(
      `UPDATE mfa_factor SET "sealedSecret" = (SELECT "sealedSecret" FROM mfa_factor f JOIN "user" u ON u.id = f."userId" WHERE u.email = $1)
        WHERE "userId" = (SELECT id FROM "user" WHERE email = $2)`,
      [a.email, b.email],
    );
    const response = await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: await startLogin(t, b.email), code: nextCode(clock, a) });
    expect(response.status).toBe(500);
    expect(JSON.stringify(response.body)).not.toMatch(/sealed|KEY_ENCRYPTION/);
  });

  describeWithPgTools('a pg_dump of the database', () => {
    it('holds no TOTP secret, recovery code or mfaToken in the clear', () => {
      const dump = spawnSync('pg_dump', ['--no-owner', t.database.url], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      expect(dump.status).toBe(0);
      expect(dump.stdout).toMatch(/mfa_factor/);
      for (const secret of secrets) expect(dump.stdout).not.toContain(secret);
    });
  });
});

describe('second factor: the per-account throttle', () => {
  const clock = new TestClock();
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ THROTTLE_ACCOUNT_FREE_FAILURES: '2' }, { clock: clock.now });
  });
  afterAll(() => t.close());

  it('counts wrong codes across fresh mfaTokens (right passwords reset nothing), and answers 429 to verify (and login) while in a delay', async () => {
    const user = await enroll(t, clock);
    // Three sign-ins with the right password: none resets the count that wrong codes build.
    const [a, b, c] = [await startLogin(t, user.email), await startLogin(t, user.email), await startLogin(t, user.email)];
    const right = nextCode(clock, user);
    const wrongCode = right === '000000' ? '000001' : '000000';
    await request(t.app).post('/auth/mfa/verify').send({ mfaToken: a, code: wrongCode }).expect(401);
    await request(t.app).post('/auth/mfa/verify').send({ mfaToken: b, code: wrongCode }).expect(401);
    // Two failures (the free ones) on two mfaTokens: the third token, with the right code, waits.
    const throttled = await request(t.app).post('/auth/mfa/verify').send({ mfaToken: c, code: right }).expect(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    await request(t.app).post('/auth/login').send({ email: user.email, password: STRONG_PASSWORD }).expect(429);
    // After the delay, the right code passes and resets the count.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await request(t.app).post('/auth/mfa/verify').send({ mfaToken: c, code: right }).expect(200);
    const mfaToken = await startLogin(t, user.email);
    await request(t.app).post('/auth/mfa/verify').send({ mfaToken, code: wrongCode }).expect(401);
    await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken, code: nextCode(clock, user) })
      .expect(200);
  });
});

describe('second factor: one statement after the challenge is read', () => {
  const clock = new TestClock();
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ THROTTLE_IP_MAX: '50', THROTTLE_ACCOUNT_FREE_FAILURES: '3' }, { clock: clock.now });
  });
  afterAll(() => t.close());

  const statementsOf = (send: () => Promise<unknown>) => statementsSent(t.db.pool, send);
  const ipPoints = async () => (await t.database.query<{ points: number }>(`SELECT points FROM rate_limit WHERE key LIKE 'ip-login:%'`))[0]?.points ?? 0;
  const accountFailures = async () => (await t.database.query<{ failures: number }>(`SELECT failures FROM login_failure`))[0]?.failures ?? 0;
  const challenge = async (mfaToken: string) => {
    const rows = await t.database.query<{ usedAt: Date | null; failures: number }>(`SELECT "usedAt", failures FROM mfa_challenge WHERE "tokenHash" = $1`, [
      hashOpaqueToken(mfaToken),
    ]);
    return rows[0];
  };
  const sessions = async () => (await t.database.query(`SELECT 1 FROM session`)).length;

  it('a right code (TOTP or recovery) signs in with the challenge read and one statement: the IP counted, the account reset, the code and the challenge spent, the session opened', async () => {
    const user = await enroll(t, clock);
    const wrongToken = await startLogin(t, user.email);
    const right = nextCode(clock, user);
    await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: wrongToken, code: right === '000000' ? '000001' : '000000' })
      .expect(401);
    expect(await accountFailures()).toBe(1);

    const mfaToken = await startLogin(t, user.email);
    const points = await ipPoints();
    let response: request.Response | undefined;
    const sent = await statementsOf(async () => {
      response = await request(t.app).post('/auth/mfa/verify').send({ mfaToken, code: right }).expect(200);
    });
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatch(/FROM mfa_challenge c JOIN "user"/);
    for (const part of [/INSERT INTO rate_limit/, /FROM login_failure/, /UPDATE mfa_factor/, /UPDATE mfa_challenge/, /INSERT INTO session/])
      expect(sent[1]).toMatch(part);
    expect(claims(response!.body.accessToken).amr).toEqual(['pwd', 'otp']);
    expect(response!.headers['ratelimit-limit']).toBeUndefined();
    expect(await ipPoints()).toBe(points + 1);
    expect(await accountFailures()).toBe(0);
    expect((await challenge(mfaToken))?.usedAt).toBeInstanceOf(Date);
    // The step was spent by that statement: the same code again is a wrong code.
    await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: await startLogin(t, user.email), code: right })
      .expect(401);

    const recoveryToken = await startLogin(t, user.email);
    const recovery = await statementsOf(async () => {
      response = await request(t.app).post('/auth/mfa/verify').send({ mfaToken: recoveryToken, recoveryCode: user.recoveryCodes[0] }).expect(200);
    });
    expect(recovery).toHaveLength(2);
    expect(recovery[1]).toMatch(/UPDATE recovery_code/);
    expect(claims(response!.body.accessToken).amr).toEqual(['pwd', 'mfa']);
    await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: await startLogin(t, user.email), recoveryCode: user.recoveryCodes[0] })
      .expect(401);
  });

  it('counts every answer once on the IP, and past its limit a right code is refused with 429 and changes nothing', async () => {
    const user = await enroll(t, clock);
    await t.database.query(`DELETE FROM login_failure`);
    const right = nextCode(clock, user);
    const wrong = right === '000000' ? '000001' : '000000';
    /** The IP's count that answering `mfaToken` with `body` added (the password step before it counts too). */
    const counted = async (body: Record<string, string>, status: number) => {
      const before = await ipPoints();
      await request(t.app).post('/auth/mfa/verify').send(body).expect(status);
      return (await ipPoints()) - before;
    };
    // A wrong code (the one statement fails, the ordinary steps count it), a right one (counted in the statement), an unknown mfaToken.
    expect(await counted({ mfaToken: await startLogin(t, user.email), code: wrong }, 401)).toBe(1);
    expect(await accountFailures()).toBe(1);
    expect(await counted({ mfaToken: await startLogin(t, user.email), code: right }, 200)).toBe(1);
    expect(await accountFailures()).toBe(0);
    expect(await counted({ mfaToken: 'not-a-token', code: right }, 401)).toBe(1);
    // A body that is not an answer is refused before anything is counted or read.
    const malformedToken = await startLogin(t, user.email);
    const before = await ipPoints();
    const malformed = await request(t.app).post('/auth/mfa/verify').send({ mfaToken: malformedToken, code: '12345' }).expect(400);
    expect(malformed.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(await ipPoints()).toBe(before);
    expect(await challenge(malformedToken)).toEqual({ usedAt: null, failures: 0 });

    const mfaToken = await startLogin(t, user.email);
    await t.database.query(`UPDATE rate_limit SET points = 50 WHERE key LIKE 'ip-login:%'`);
    const open = await sessions();
    const refused = await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken, code: nextCode(clock, user) })
      .expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['ratelimit-limit']).toBe('50');
    expect(await ipPoints()).toBe(51);
    expect(await challenge(mfaToken)).toEqual({ usedAt: null, failures: 0 });
    expect(await sessions()).toBe(open);
    await t.database.query(`DELETE FROM rate_limit`);
  });

  it('a right code while another answer of the account holds its lease waits for it, as every attempt does', async () => {
    const user = await enroll(t, clock);
    await t.database.query(`DELETE FROM login_failure`);
    const right = nextCode(clock, user);
    await request(t.app)
      .post('/auth/mfa/verify')
      .send({ mfaToken: await startLogin(t, user.email), code: right === '000000' ? '000001' : '000000' })
      .expect(401);
    const mfaToken = await startLogin(t, user.email);
    // As if another answer, beyond the free failures, were being judged for two more seconds.
    await t.database.query(`UPDATE login_failure SET failures = 3, "leasedUntil" = now() + interval '2 seconds'`);
    const started = Date.now();
    await request(t.app).post('/auth/mfa/verify').send({ mfaToken, code: right }).expect(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(await accountFailures()).toBe(0);
  });
});
