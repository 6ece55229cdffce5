/**
 * Finding 5 of the v3 security review: GET /auth/oidc/{id}/start was not throttled, and each call
 * stores a state row. It is throttled per client IP now, as login is (429 with Retry-After), and
 * a refused call stores nothing.
 */
import request from 'supertest';
import { createTestApp, type TestApp } from '../support/test-app';
import { startOidcTestProvider, type OidcTestProvider } from '../support/oidc-test-provider';

const PUBLIC_URL = 'https://auth.test';
const APP = 'https://app.test';
const LIMIT = 4;

describe('GET /auth/oidc/{id}/start is throttled per client IP', () => {
  let provider: OidcTestProvider;
  let t: TestApp;
  beforeAll(async () => {
    provider = await startOidcTestProvider({ redirectUri: `${PUBLIC_URL}/auth/oidc/acme/callback` });
    t = await createTestApp({
      OIDC_PROVIDERS: 'acme',
      OIDC_ACME_ISSUER: provider.issuer,
      OIDC_ACME_CLIENT_ID: provider.clientId,
      OIDC_ACME_CLIENT_SECRET: provider.clientSecret,
      PUBLIC_URL,
      REDIRECT_ALLOWLIST: APP,
      THROTTLE_IP_MAX: String(LIMIT),
    });
  });
  afterAll(async () => {
    await t?.close();
    await provider?.stop();
  });

  it(`lets ${LIMIT} starts through, then answers 429 with Retry-After and stores no more state`, async () => {
    const start = () =>
      request(t.app)
        .get('/auth/oidc/acme/start')
        .query({ redirectTo: `${APP}/back` });
    for (let i = 0; i < LIMIT; i++) await start().expect(302);
    const refused = await start().expect(429);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) await start().expect(429);
    expect(await t.database.query(`SELECT count(*)::int AS n FROM oidc_state`)).toEqual([{ n: LIMIT }]);
  });
});
