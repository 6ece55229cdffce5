/**
 * The hosted sign-in page's button for a configured external OpenID Connect provider: it goes
 * through the service's own provider sign-in (oidc/: state, PKCE, the ID token's checks), comes back
 * to the interaction, and the sign-in ends in the pipeline like any other (amr ext, user.login
 * naming the client).
 */
import { decodeJwt } from 'jose';
import { startOidcTestProvider, type OidcTestProvider } from '../support/oidc-test-provider';
import { relyingParty, startProviderApp, type ProviderTestApp } from '../support/provider-app';
import { APP_CALLBACK, isSignInPage, newBrowser } from '../support/provider-flows';
import { uniqueEmail } from '../support/test-app';

let upstream: OidcTestProvider;
let t: ProviderTestApp;

beforeAll(async () => {
  // The service's issuer first (the upstream provider must know its callback), on a host name of its own.
  t = await startProviderApp(
    async (issuer) => {
      upstream = await startOidcTestProvider({ redirectUri: `${issuer}/auth/oidc/acme/callback` });
      return {
        OIDC_PROVIDERS: 'acme',
        OIDC_ACME_ISSUER: upstream.issuer,
        OIDC_ACME_CLIENT_ID: upstream.clientId,
        OIDC_ACME_CLIENT_SECRET: upstream.clientSecret,
        OIDC_ACME_NAME: 'Acme',
      };
    },
    { host: 'localhost' },
  );
});
afterAll(async () => {
  await t?.close();
  await upstream?.stop();
});

describe('the sign-in page’s external provider button', () => {
  it('signs in through the external provider and back to the app: amr ext, user.login names the client', async () => {
    const client = await t.registerClient({ name: 'Web App', type: 'confidential', redirectUris: [APP_CALLBACK], firstParty: true });
    const rp = await relyingParty(t.issuer, client, APP_CALLBACK);
    const email = uniqueEmail('acme');
    await upstream.signInAs({ sub: `acme-${Date.now()}`, email, email_verified: true, name: 'Grace Hopper' });
    const authorization = await rp.authorize();
    const browser = newBrowser();
    const page = await browser.open(authorization.url);
    expect(isSignInPage(page)).toBe(true);
    const button = page.document.querySelectorAll('a.button').find((link) => link.textContent.includes('Continue with Acme'))!;
    // The provider's discovery runs in the background at start-up: until it is done, the button comes back with provider_unavailable.
    let back = await browser.open(new URL(button.getAttribute('href')!, t.issuer).href);
    for (let attempt = 0; attempt < 20 && back.status !== 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      back = await browser.open(new URL(button.getAttribute('href')!, t.issuer).href);
    }
    expect(back.url.origin + back.url.pathname).toBe(APP_CALLBACK);
    const tokens = await rp.exchange(back.url, authorization);
    expect(decodeJwt(tokens.id_token!).amr).toEqual(['ext']);
    const [login] = await t.database.query<{ data: { clientId: string; door: string } }>(
      `SELECT e.data FROM audit_event e JOIN "user" u ON u.id = e."userId" WHERE u.email = $1 AND e.type = 'user.login'`,
      [email],
    );
    expect(login!.data).toEqual(expect.objectContaining({ clientId: client.clientId, door: 'provider' }));
  });
});
