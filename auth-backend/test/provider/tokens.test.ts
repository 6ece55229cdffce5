/**
 * The provider's tokens: refresh tokens (offline_access as OpenID Connect Core section 11 says,
 * rotation and reuse detection for public clients), client_credentials JWT access tokens for an API
 * (RFC 8707 resource, RFC 9068 claims) checked offline with jose's remote JWK Set, introspection
 * (confidential clients only) and revocation.
 */
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { registerUser } from '../support/test-app';
import { relyingParty, startProviderApp, type ProviderTestApp } from '../support/provider-app';
import { APP_CALLBACK, authorize, newBrowser, signInAndExchange } from '../support/provider-flows';

const API = 'https://api.test/';

let t: ProviderTestApp;
beforeAll(async () => {
  t = await startProviderApp({ JWT_ALGORITHM: 'RS256' });
});
afterAll(() => t?.close());

const tokenRequest = (path: string, body: Record<string, string>, auth?: { clientId: string; clientSecret?: string }) =>
  fetch(`${t.issuer}/oidc/${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(auth?.clientSecret ? { authorization: `Basic ${Buffer.from(`${auth.clientId}:${auth.clientSecret}`).toString('base64')}` } : {}),
    },
    body: new URLSearchParams({ ...(auth && !auth.clientSecret ? { client_id: auth.clientId } : {}), ...body }),
  });

describe('refresh tokens', () => {
  it('are issued for offline_access to a first-party client without prompt=consent; a public client’s rotate, and a reused one revokes the grant', async () => {
    const client = await t.registerClient({ name: 'Mobile', type: 'public', redirectUris: [APP_CALLBACK], firstParty: true });
    const rp = await relyingParty(t.issuer, client, APP_CALLBACK);
    const user = await registerUser(t.app);
    const { tokens } = await signInAndExchange(newBrowser(), rp, user, { scope: 'openid offline_access' });
    expect(tokens.refresh_token).toEqual(expect.any(String));

    const rotated = await rp.oidc.refreshTokenGrant(rp.configuration, tokens.refresh_token!);
    expect(rotated.refresh_token).toEqual(expect.any(String));
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    expect(rotated.claims()!.sub).toBe(user.user.id);

    // The first token again: reuse. The grant is revoked, the rotated token with it.
    await expect(rp.oidc.refreshTokenGrant(rp.configuration, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(rp.oidc.refreshTokenGrant(rp.configuration, rotated.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('are not issued to another client unless the request also has prompt=consent', async () => {
    const client = await t.registerClient({ name: 'Partner', type: 'confidential', redirectUris: [APP_CALLBACK] });
    const rp = await relyingParty(t.issuer, client, APP_CALLBACK);
    const user = await registerUser(t.app);
    const plain = await signInAndExchange(newBrowser(), rp, user, { scope: 'openid offline_access' });
    expect(plain.tokens.refresh_token).toBeUndefined();
    const consented = await signInAndExchange(newBrowser(), rp, user, { scope: 'openid offline_access', prompt: 'consent' });
    expect(consented.tokens.refresh_token).toEqual(expect.any(String));
  });
});

describe('client_credentials', () => {
  it('issues an RFC 9068 JWT for an allowed resource, verifiable offline with the JWKS (jose createRemoteJWKSet)', async () => {
    const service = await t.registerClient({
      name: 'Billing job',
      type: 'confidential',
      redirectUris: [],
      grantTypes: ['client_credentials'],
      resources: [API],
    });
    const response = await tokenRequest('token', { grant_type: 'client_credentials', resource: API }, service);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toMatch(/no-store/);
    const body = (await response.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(decodeProtectedHeader(body.access_token)).toEqual(expect.objectContaining({ typ: 'at+jwt', alg: 'RS256' }));
    const { payload } = await jwtVerify(body.access_token, createRemoteJWKSet(new URL(`${t.issuer}/.well-known/jwks.json`)), {
      issuer: t.issuer,
      audience: API,
      typ: 'at+jwt',
      algorithms: ['RS256'],
    });
    expect(payload).toEqual(expect.objectContaining({ iss: t.issuer, aud: API, client_id: service.clientId, sub: service.clientId }));
  });

  it('refuses a resource the client is not allowed, a wrong secret, and a client not registered for the grant', async () => {
    const service = await t.registerClient({ name: 'Job', type: 'confidential', redirectUris: [], grantTypes: ['client_credentials'], resources: [API] });
    const other = await tokenRequest('token', { grant_type: 'client_credentials', resource: 'https://other-api.test/' }, service);
    expect(((await other.json()) as { error: string }).error).toBe('invalid_target');
    const wrong = await tokenRequest('token', { grant_type: 'client_credentials', resource: API }, { ...service, clientSecret: `${service.clientSecret}x` });
    expect(wrong.status).toBe(401);
    const web = await t.registerClient({ name: 'Web', type: 'confidential', redirectUris: [APP_CALLBACK] });
    const notAllowed = await tokenRequest('token', { grant_type: 'client_credentials' }, web);
    const body = (await notAllowed.json()) as { error: string; error_description: string };
    // The library's answer (RFC 6749 section 5.2 leaves invalid_request or unauthorized_client to it).
    expect(body).toEqual({ error: 'invalid_request', error_description: 'requested grant type is not allowed for this client' });
  });

  it('gives a user’s API access token the resource as audience and the user as subject', async () => {
    const client = await t.registerClient({ name: 'App with API', type: 'confidential', redirectUris: [APP_CALLBACK], resources: [API], firstParty: true });
    const rp = await relyingParty(t.issuer, client, APP_CALLBACK);
    const user = await registerUser(t.app);
    const { request: authorization, callback } = await authorize(newBrowser(), rp, user, { resource: API });
    const tokens = await rp.exchange(callback, authorization, { resource: API });
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${t.issuer}/.well-known/jwks.json`)), {
      issuer: t.issuer,
      audience: API,
      typ: 'at+jwt',
    });
    expect(payload).toEqual(expect.objectContaining({ sub: user.user.id, client_id: client.clientId, scope: expect.stringContaining('openid') }));
  });
});

describe('introspection and revocation', () => {
  it('introspect a token for a confidential client; refuse a public client (invalid_client); a revoked token is inactive', async () => {
    const client = await t.registerClient({ name: 'Server app', type: 'confidential', redirectUris: [APP_CALLBACK], firstParty: true });
    const rp = await relyingParty(t.issuer, client, APP_CALLBACK);
    const user = await registerUser(t.app);
    const { tokens } = await signInAndExchange(newBrowser(), rp, user, { scope: 'openid offline_access' });

    const active = await rp.oidc.tokenIntrospection(rp.configuration, tokens.refresh_token!);
    expect(active).toEqual(expect.objectContaining({ active: true, sub: user.user.id, client_id: client.clientId }));

    const spa = await t.registerClient({ name: 'SPA', type: 'public', redirectUris: [APP_CALLBACK] });
    const refused = await tokenRequest('token/introspection', { token: tokens.access_token }, spa);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_client');

    await rp.oidc.tokenRevocation(rp.configuration, tokens.refresh_token!);
    expect(await rp.oidc.tokenIntrospection(rp.configuration, tokens.refresh_token!)).toEqual({ active: false });
    await expect(rp.oidc.refreshTokenGrant(rp.configuration, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('stores no token, code or session id in the clear', async () => {
    const client = await t.registerClient({ name: 'Audited app', type: 'confidential', redirectUris: [APP_CALLBACK], firstParty: true });
    const rp = await relyingParty(t.issuer, client, APP_CALLBACK);
    const user = await registerUser(t.app);
    const { tokens, callback } = await signInAndExchange(newBrowser(), rp, user, { scope: 'openid offline_access' });
    const secrets = [tokens.access_token, tokens.refresh_token!, callback.searchParams.get('code')!, client.clientSecret!];
    expect(secrets.every((secret) => typeof secret === 'string' && secret.length > 20)).toBe(true);
    const dump = JSON.stringify(await t.database.query(`SELECT * FROM oidc_provider_state`));
    const clients = JSON.stringify(await t.database.query(`SELECT * FROM oauth_client`));
    for (const secret of secrets) {
      expect(dump).not.toContain(secret);
      expect(clients).not.toContain(secret);
      expect(t.logText()).not.toContain(secret);
    }
  });
});
