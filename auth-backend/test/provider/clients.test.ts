/**
 * Clients, registered by administrators (/admin/clients, npm run clients:create), and the user's
 * apps (/auth/apps): the role checked on every call, secrets shown once and stored hashed, every
 * change an oauth.client_* event, a deleted client's and a revoked app's tokens dead at once.
 */
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { registerUser } from '../support/test-app';
import { relyingParty, startProviderApp, type ProviderTestApp } from '../support/provider-app';
import { APP_CALLBACK, newBrowser, signInAndExchange } from '../support/provider-flows';
import { bearer, registerAdmin } from '../support/admin';

let t: ProviderTestApp;
let admin: { accessToken: string; user: { id: string } };
beforeAll(async () => {
  t = await startProviderApp({ ADMIN_REQUIRE_MFA: 'false' });
  admin = await registerAdmin(t);
});
afterAll(() => t?.close());

const newClient = (overrides: Record<string, unknown> = {}) => ({
  name: 'Team Dashboard',
  type: 'confidential',
  redirectUris: [APP_CALLBACK, 'http://127.0.0.1:8400/callback'],
  postLogoutRedirectUris: ['https://app.test/'],
  ...overrides,
});

describe('/admin/clients', () => {
  it('refuses a caller who is not an administrator (403) and one without a token (401)', async () => {
    const user = await registerUser(t.app);
    await request(t.app).get('/admin/clients').set(bearer(user.accessToken)).expect(403);
    await request(t.app).post('/admin/clients').set(bearer(user.accessToken)).send(newClient()).expect(403);
    await request(t.app).get('/admin/clients').expect(401);
  });

  it('registers a confidential client: its secret in the answer only, stored as a hash; lists, reads, changes it; oauth.client_* events', async () => {
    const created = await request(t.app).post('/admin/clients').set(bearer(admin.accessToken)).send(newClient()).expect(201);
    const { client, clientSecret } = created.body as { client: { id: string; createdAt: string }; clientSecret: string };
    expect(client).toEqual({
      id: expect.any(String),
      name: 'Team Dashboard',
      type: 'confidential',
      redirectUris: [APP_CALLBACK, 'http://127.0.0.1:8400/callback'],
      postLogoutRedirectUris: ['https://app.test/'],
      grantTypes: ['authorization_code', 'refresh_token'],
      resources: [],
      firstParty: false,
      createdAt: expect.any(String),
    });
    expect(clientSecret.length).toBeGreaterThanOrEqual(43);
    const [stored] = await t.database.query<{ secretHash: string }>(`SELECT "secretHash" FROM oauth_client WHERE id = $1`, [client.id]);
    expect(stored!.secretHash).toBe(createHash('sha256').update(clientSecret).digest('base64url'));

    const listed = await request(t.app).get('/admin/clients').set(bearer(admin.accessToken)).expect(200);
    expect(listed.body.clients.map((entry: { id: string }) => entry.id)).toContain(client.id);
    const read = await request(t.app).get(`/admin/clients/${client.id}`).set(bearer(admin.accessToken)).expect(200);
    expect(read.body.client).toEqual(client);
    expect(JSON.stringify(read.body)).not.toContain(clientSecret);

    const patched = await request(t.app)
      .patch(`/admin/clients/${client.id}`)
      .set(bearer(admin.accessToken))
      .send({ name: 'Dashboard', redirectUris: [APP_CALLBACK] })
      .expect(200);
    expect(patched.body.client).toEqual(expect.objectContaining({ name: 'Dashboard', redirectUris: [APP_CALLBACK] }));
    await request(t.app).get('/admin/clients/no-such-client').set(bearer(admin.accessToken)).expect(404);

    const events = await t.database.query<{ type: string; actorId: string; data: Record<string, unknown> }>(
      `SELECT type, "actorId", data FROM audit_event WHERE data->>'clientId' = $1 ORDER BY at`,
      [client.id],
    );
    expect(events.map((event) => [event.type, event.actorId])).toEqual([
      ['oauth.client_created', admin.user.id],
      ['oauth.client_updated', admin.user.id],
    ]);
    expect(JSON.stringify(events)).not.toContain(clientSecret);
  });

  it('refuses bad redirect URIs and incoherent grants with 400 naming the field, and changes nothing', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ redirectUris: ['http://app.test/callback'] }, 'redirectUris.0'],
      [{ redirectUris: ['https://app.test/*'] }, 'redirectUris.0'],
      [{ redirectUris: ['https://app.test/cb#x'] }, 'redirectUris.0'],
      [{ redirectUris: ['/relative'] }, 'redirectUris.0'],
      [{ type: 'public', grantTypes: ['client_credentials'] }, 'grantTypes'],
      [{ redirectUris: [] }, 'redirectUris'],
      [{ grantTypes: ['implicit'] }, 'grantTypes.0'],
      [{ resources: ['not a url'] }, 'resources.0'],
    ];
    const before = (await t.database.query(`SELECT 1 FROM oauth_client`)).length;
    for (const [overrides, field] of cases) {
      const response = await request(t.app).post('/admin/clients').set(bearer(admin.accessToken)).send(newClient(overrides)).expect(400);
      expect(response.body.errors.map((error: { path: string }) => error.path)).toContain(field);
    }
    expect((await t.database.query(`SELECT 1 FROM oauth_client`)).length).toBe(before);
  });

  it('rotates a secret (the old one stops working) and deletes a client with every token it holds', async () => {
    const created = await request(t.app)
      .post('/admin/clients')
      .set(bearer(admin.accessToken))
      .send(newClient({ firstParty: true }))
      .expect(201);
    const { client, clientSecret } = created.body as { client: { id: string }; clientSecret: string };
    const user = await registerUser(t.app);
    const rp = await relyingParty(t.issuer, { clientId: client.id, clientSecret }, APP_CALLBACK);
    const { tokens } = await signInAndExchange(newBrowser(), rp, user, { scope: 'openid offline_access' });

    const rotated = await request(t.app).post(`/admin/clients/${client.id}/secret`).set(bearer(admin.accessToken)).expect(200);
    const newSecret = rotated.body.clientSecret as string;
    expect(newSecret).not.toBe(clientSecret);
    await expect(rp.oidc.refreshTokenGrant(rp.configuration, tokens.refresh_token!)).rejects.toMatchObject({
      status: 401,
      cause: [expect.objectContaining({ parameters: expect.objectContaining({ error: 'invalid_client' }) })],
    });
    const renewed = await relyingParty(t.issuer, { clientId: client.id, clientSecret: newSecret }, APP_CALLBACK);
    const refreshed = await renewed.oidc.refreshTokenGrant(renewed.configuration, tokens.refresh_token!);

    await request(t.app).delete(`/admin/clients/${client.id}`).set(bearer(admin.accessToken)).expect(204);
    await request(t.app).get(`/admin/clients/${client.id}`).set(bearer(admin.accessToken)).expect(404);
    const left = await t.database.query(`SELECT 1 FROM oidc_provider_state WHERE "clientId" = $1`, [client.id]);
    expect(left).toEqual([]);
    expect(refreshed.refresh_token ?? tokens.refresh_token).toEqual(expect.any(String));
    const types = await t.database.query<{ type: string }>(`SELECT type FROM audit_event WHERE data->>'clientId' = $1 ORDER BY at`, [client.id]);
    expect(types.map((row) => row.type)).toEqual([
      'oauth.client_created',
      'user.login',
      'oauth.consent_granted',
      'oauth.client_secret_rotated',
      'oauth.client_deleted',
    ]);
  });
});

describe('npm run clients:create', () => {
  const cli = path.join(__dirname, '../../dist/provider/clients-cli.js');
  const run = (args: string[]) =>
    spawnSync(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH, NODE_ENV: 'test', DATABASE_URL: t.database.url }, encoding: 'utf8' });

  it('prints { clientId, clientSecret } and registers the client (with its event, no actor)', () => {
    const result = run([
      '--name',
      'CLI App',
      '--redirect-uri',
      APP_CALLBACK,
      '--first-party',
      '--grant',
      'authorization_code',
      '--grant',
      'client_credentials',
      '--resource',
      'https://api.test/',
    ]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const printed = JSON.parse(result.stdout) as { clientId: string; clientSecret: string };
    expect(printed).toEqual({ clientId: expect.any(String), clientSecret: expect.any(String) });
    return t.database
      .query<{
        firstParty: boolean;
        grantTypes: string[];
        resources: string[];
      }>(`SELECT "firstParty", "grantTypes", resources FROM oauth_client WHERE id = $1`, [printed.clientId])
      .then(([row]) => expect(row).toEqual({ firstParty: true, grantTypes: ['authorization_code', 'client_credentials'], resources: ['https://api.test/'] }));
  });

  it('registers a public client without a secret, and refuses bad arguments with exit code 1', () => {
    const result = run(['--name', 'Native', '--redirect-uri', 'http://127.0.0.1/callback', '--public']);
    expect(result.status).toBe(0);
    expect(Object.keys(JSON.parse(result.stdout))).toEqual(['clientId']);
    const bad = run(['--name', 'Bad', '--redirect-uri', 'http://example.com/callback']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/redirectUris\.0: must be https/);
    expect(run(['--nonsense']).status).toBe(1);
  });
});

describe('/auth/apps', () => {
  it('lists the apps the user granted, and DELETE revokes the consent and every token of that app (oauth.consent_revoked)', async () => {
    const client = await t.registerClient({ name: 'Partner App', type: 'confidential', redirectUris: [APP_CALLBACK] });
    const rp = await relyingParty(t.issuer, client, APP_CALLBACK);
    const user = await registerUser(t.app);
    const { tokens } = await signInAndExchange(newBrowser(), rp, user, { scope: 'openid email offline_access', prompt: 'consent' });

    const apps = await request(t.app).get('/auth/apps').set(bearer(user.accessToken)).expect(200);
    expect(apps.body).toEqual({
      apps: [
        {
          clientId: client.clientId,
          name: 'Partner App',
          scopes: expect.arrayContaining(['openid', 'email', 'offline_access']),
          grantedAt: expect.any(String),
        },
      ],
    });
    const stranger = await registerUser(t.app);
    await request(t.app).delete(`/auth/apps/${client.clientId}`).set(bearer(stranger.accessToken)).expect(404);

    await request(t.app).delete(`/auth/apps/${client.clientId}`).set(bearer(user.accessToken)).expect(204);
    expect((await request(t.app).get('/auth/apps').set(bearer(user.accessToken)).expect(200)).body).toEqual({ apps: [] });
    await expect(rp.oidc.refreshTokenGrant(rp.configuration, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await rp.oidc.tokenIntrospection(rp.configuration, tokens.access_token)).toEqual({ active: false });
    const [event] = await t.database.query<{ data: { clientId: string } }>(
      `SELECT data FROM audit_event WHERE "userId" = $1 AND type = 'oauth.consent_revoked'`,
      [user.user.id],
    );
    expect(event!.data.clientId).toBe(client.clientId);
    await request(t.app).delete(`/auth/apps/${client.clientId}`).set(bearer(user.accessToken)).expect(404);
  });
});
