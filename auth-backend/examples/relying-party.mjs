/**
 * A team's own app signing its users in through the service's OpenID Provider, and an API checking
 * the provider's JWT access tokens offline: the example of docs/oidc-provider.md, run by
 * test/provider/example-app.test.ts.
 *
 *   ISSUER=https://auth.example.com CLIENT_ID=... CLIENT_SECRET=... APP_URL=http://127.0.0.1:3001 node examples/relying-party.mjs
 *
 * Register it first (redirect URI APP_URL/callback, the API APP_URL/api as a resource):
 *   npm run clients:create -- --name "Example" --redirect-uri http://127.0.0.1:3001/callback --resource http://127.0.0.1:3001/api
 */
import { randomUUID } from 'node:crypto';
import express from 'express';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const { ISSUER, CLIENT_ID, CLIENT_SECRET, APP_URL = 'http://127.0.0.1:3001' } = process.env;
const api = `${APP_URL}/api`;

// Discovery (PUBLIC_URL/.well-known/openid-configuration). http is for a loopback issuer only (development).
const config = await oidc.discovery(new URL(ISSUER), CLIENT_ID, CLIENT_SECRET, undefined, {
  execute: new URL(ISSUER).protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
});
// The API side: the provider's public keys, fetched once and refetched for an unknown kid.
const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));

/** Sign-ins in flight, by state (a real app keeps this in its session store). */
const pending = new Map();
const app = express();

app.get('/login', async (_req, res) => {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  pending.set(state, { verifier, nonce });
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: `${APP_URL}/callback`,
    scope: 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  res.redirect(url.href);
});

app.get('/callback', async (req, res) => {
  const state = String(req.query.state ?? '');
  const started = pending.get(state);
  pending.delete(state);
  if (!started) return res.status(400).send('unknown sign-in');
  // Checks state, the code with its PKCE verifier, and the ID token: signature, iss, aud, exp, nonce.
  const tokens = await oidc.authorizationCodeGrant(config, new URL(req.originalUrl, APP_URL), {
    pkceCodeVerifier: started.verifier,
    expectedState: state,
    expectedNonce: started.nonce,
  });
  const claims = tokens.claims();
  const profile = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
  res
    .type('html')
    .send(`<!DOCTYPE html><html lang="en"><title>Example</title><p id="user">Signed in as ${escape(profile.email)} (${escape(claims.sub)})</p></html>`);
});

// An API of the team: accepts the provider's RFC 9068 access tokens issued for it (resource=APP_URL/api).
app.get('/api/whoami', async (req, res) => {
  const token = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
  try {
    const { payload } = await jwtVerify(token ?? '', jwks, { issuer: ISSUER, audience: api, typ: 'at+jwt' });
    res.json({ sub: payload.sub, client_id: payload.client_id, request: randomUUID() });
  } catch {
    res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'invalid_token' });
  }
});

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const server = app.listen(Number(new URL(APP_URL).port || 80), new URL(APP_URL).hostname, () => process.stdout.write(`listening on ${APP_URL}\n`));
process.on('SIGTERM', () => server.close());
