/**
 * Every piece of the provider's state is in PostgreSQL: a flow begun on one replica finishes on
 * another, and a refresh token issued by one works on the other. Keys come from the service's key
 * ring: a rotation reaches the provider of every replica without a restart.
 */
import { decodeProtectedHeader } from 'jose';
import { registerUser } from '../support/test-app';
import { relyingParty, startProviderApp, type ProviderTestApp } from '../support/provider-app';
import { APP_CALLBACK, authorize, decide, newBrowser, submitPassword } from '../support/provider-flows';
import { rotateKeys } from '../../src/keys/key-rotation';
import { keyPolicy, keyStore } from '../../src/keys/key-setup';
import type { TestApp } from '../support/test-app';

let t: ProviderTestApp;
let second: TestApp;
beforeAll(async () => {
  t = await startProviderApp({ JWT_ALGORITHM: 'ES256' });
  second = await t.replica();
});
afterAll(() => t?.close());

describe('two replicas on one database', () => {
  it('finish on one a flow begun on the other: sign-in page, consent, code exchange and refresh each on a different replica', async () => {
    const client = await t.registerClient({ name: 'Web App', type: 'confidential', redirectUris: [APP_CALLBACK] });
    const rp = await relyingParty(t.issuer, client, APP_CALLBACK);
    const user = await registerUser(t.app);
    const authorization = await rp.authorize({ scope: 'openid email offline_access', prompt: 'consent' });
    const browser = newBrowser();

    t.routeTo(t.app);
    const signIn = await browser.open(authorization.url);
    t.routeTo(second.app);
    const consent = await submitPassword(signIn, user.email);
    t.routeTo(t.app);
    const back = await decide(consent, 'allow');
    t.routeTo(second.app);
    const tokens = await rp.exchange(back.url, authorization);
    expect(tokens.claims()!.sub).toBe(user.user.id);
    t.routeTo(t.app);
    const refreshed = await rp.oidc.refreshTokenGrant(rp.configuration, tokens.refresh_token!);
    expect(refreshed.access_token).toEqual(expect.any(String));
    // Single sign-on on the other replica too.
    t.routeTo(second.app);
    const sso = await authorize(browser, rp, user, { scope: 'openid email' });
    expect(sso.pages).toHaveLength(0);
    t.routeTo(t.app);
  });

  it('sign with a rotated key on every replica without a restart, and publish it at jwks_uri', async () => {
    const client = await t.registerClient({ name: 'First party', type: 'confidential', redirectUris: [APP_CALLBACK], firstParty: true });
    const rp = await relyingParty(t.issuer, client, APP_CALLBACK);
    const user = await registerUser(t.app);
    const browser = newBrowser();
    const before = await authorize(browser, rp, user);
    const oldKid = decodeProtectedHeader((await rp.exchange(before.callback, before.request)).id_token!).kid;

    // An emergency rotation: the new key signs at once (keys:rotate -- --revoke-current).
    const { created } = await rotateKeys(keyStore(t.config, t.db.pool), keyPolicy(t.config), new Date(), { revokeCurrent: true });
    expect(created.kid).not.toBe(oldKid);
    for (const app of [t, second]) await app.service.services.keyRing.refresh({ algorithmMustMatch: false });

    for (const app of [t.app, second.app]) {
      t.routeTo(app);
      const after = await authorize(browser, rp, user);
      const idToken = (await rp.exchange(after.callback, after.request)).id_token!;
      expect(decodeProtectedHeader(idToken).kid).toBe(created.kid);
      const jwks = (await (await fetch(`${t.issuer}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
      expect(jwks.keys.map((key) => key.kid)).toContain(created.kid);
    }
    t.routeTo(t.app);
  });

  it("stop taking a client's old secret on every replica once an administrator rotates it on one (each keeps clients in memory)", async () => {
    const API = 'https://api.replicas.example/';
    const client = await t.registerClient({ name: 'Job', type: 'confidential', redirectUris: [], grantTypes: ['client_credentials'], resources: [API] });
    const token = (secret: string) =>
      fetch(`${t.issuer}/oidc/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: API }),
      });
    // Both replicas have read the client (and keep it).
    for (const app of [t.app, second.app]) {
      t.routeTo(app);
      expect((await token(client.clientSecret!)).status).toBe(200);
      expect((await token(client.clientSecret!)).status).toBe(200);
    }
    // Rotated through the first replica's admin service; the second learns it by the change's NOTIFY.
    const rotatedAt = Date.now();
    const newSecret = await t.service.services.provider.clients.rotateSecret(client.clientId, { actorId: null });
    t.routeTo(t.app);
    expect((await token(client.clientSecret!)).status).toBe(401);
    t.routeTo(second.app);
    let oldAnswers = (await token(client.clientSecret!)).status;
    while (oldAnswers === 200 && Date.now() - rotatedAt < 2000) oldAnswers = (await token(client.clientSecret!)).status;
    expect(oldAnswers).toBe(401);
    expect(Date.now() - rotatedAt).toBeLessThan(1000);
    expect((await token(newSecret)).status).toBe(200);
    t.routeTo(t.app);
  });
});
