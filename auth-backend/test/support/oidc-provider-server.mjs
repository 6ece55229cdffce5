/**
 * A real OpenID Provider on loopback: panva's oidc-provider (the certified provider library) with
 * one confidential client, PKCE required, and a login that completes without a person (its
 * interaction page signs in the account chosen through the control endpoints). Run as a process
 * of its own (node test/support/oidc-provider-server.mjs), by the tests through
 * oidc-test-provider.ts and by hand (docs/operations.md); it prints one JSON line with its issuer.
 *
 *   env PORT (default: any free port), REDIRECT_URIS (comma-separated), CLIENT_ID, CLIENT_SECRET,
 *   ACCOUNTS (JSON list of accounts to sign in, the first one by default)
 *
 * Control (POST, JSON body), for tests only:
 *   /control/sign-in-as      {sub, email?, email_verified?, name?}: who signs in at the next logins
 *   /control/refuse-next     {description}: the next login ends with error=access_denied
 *   /control/tamper-next     {claims?, foreignKey?}: the next ID token from /token gets these claims,
 *                            signed again with the provider's key, or (foreignKey) with a key of the
 *                            same kid that the provider does not publish
 *   GET /control/stats       {tampered}
 */
import http from 'node:http';
import Provider from 'oidc-provider';
import { generateKeyPair, exportJWK, SignJWT, decodeJwt } from 'jose';

const KID = 'test-key-1';
const clientId = process.env.CLIENT_ID ?? 'auth-backend-test';
const clientSecret = process.env.CLIENT_SECRET ?? 'a-test-client-secret-of-some-length';
const redirectUris = (process.env.REDIRECT_URIS ?? 'http://localhost:3000/auth/oidc/test/callback').split(',');
const initialAccounts = JSON.parse(process.env.ACCOUNTS ?? '[]');

const signing = await generateKeyPair('RS256', { extractable: true });
const foreign = await generateKeyPair('RS256', { extractable: true });
const accounts = new Map(initialAccounts.map((account) => [account.sub, account]));
let next = initialAccounts[0];
let refusal;
let tamper;
let tampered = 0;

let handler = (_req, res) => res.end();
const server = http.createServer((req, res) => handler(req, res));
await new Promise((resolve) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  cookies: { keys: ['oidc-test-provider-cookie-key'] },
  jwks: { keys: [{ ...(await exportJWK(signing.privateKey)), kid: KID, alg: 'RS256', use: 'sig' }] },
  findAccount: (_ctx, sub) => {
    const account = accounts.get(sub);
    return account && { accountId: sub, claims: () => ({ ...account }) };
  },
  // Consent is not what is tested: every requested scope is granted at once.
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});
provider.on('server_error', (_ctx, error) => process.stderr.write(`oidc test provider: ${error.stack}\n`));

// The misbehaving token endpoint: the ID token's claims rewritten and signed again.
provider.use(async (ctx, nextMiddleware) => {
  await nextMiddleware();
  if (ctx.path !== '/token' || !tamper || !ctx.body?.id_token) return;
  const { claims = {}, foreignKey = false } = tamper;
  tamper = undefined;
  const payload = { ...decodeJwt(ctx.body.id_token), ...claims };
  const key = foreignKey ? foreign.privateKey : signing.privateKey;
  ctx.body = { ...ctx.body, id_token: await new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' }).sign(key) };
  tampered += 1;
});

/** The login page, answered without a person: the chosen account signs in (or refuses). */
async function interact(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (refusal !== undefined) {
    const description = refusal;
    refusal = undefined;
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: description }, { mergeWithLastSubmission: false });
    return;
  }
  if (details.prompt.name !== 'login' || !next) throw new Error(`unexpected prompt ${details.prompt.name}, or nobody to sign in`);
  await provider.interactionFinished(req, res, { login: { accountId: next.sub } }, { mergeWithLastSubmission: false });
}

async function readJson(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : {};
}

async function control(req, res) {
  const body = req.method === 'POST' ? await readJson(req) : {};
  switch (req.url) {
    case '/control/sign-in-as':
      next = body;
      accounts.set(body.sub, body);
      break;
    case '/control/refuse-next':
      refusal = String(body.description ?? '');
      break;
    case '/control/tamper-next':
      tamper = body;
      break;
    case '/control/stats':
      break;
    default:
      res.statusCode = 404;
  }
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ tampered }));
}

const providerCallback = provider.callback();
handler = (req, res) => {
  const route = req.url?.startsWith('/interaction/') ? interact : req.url?.startsWith('/control/') ? control : undefined;
  if (!route) return providerCallback(req, res);
  route(req, res).catch((error) => {
    res.statusCode = 500;
    res.end(String(error.message));
  });
};

process.stdout.write(`${JSON.stringify({ issuer, clientId })}\n`);
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
