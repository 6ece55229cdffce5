/**
 * The device authorization grant (RFC 8628): a device (here openid-client) asks for a code, a
 * person enters it on the hosted device page, signs in, allows it, and the device's polling gets
 * its tokens.
 */
import { registerUser } from '../support/test-app';
import { relyingParty, startProviderApp, type ProviderTestApp } from '../support/provider-app';
import { decide, isSignInPage, newBrowser, submitPassword } from '../support/provider-flows';

let t: ProviderTestApp;
beforeAll(async () => {
  t = await startProviderApp();
});
afterAll(() => t?.close());

async function deviceClient() {
  const client = await t.registerClient({
    name: 'TV App',
    type: 'public',
    redirectUris: [],
    grantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
  });
  return relyingParty(t.issuer, client, 'https://unused.test/');
}

describe('POST /oidc/device/auth and the device pages', () => {
  it('signs a device in: code entry (userCode), confirmation and consent (decision=allow), then the device gets its tokens', async () => {
    const rp = await deviceClient();
    const user = await registerUser(t.app);
    const started = await rp.oidc.initiateDeviceAuthorization(rp.configuration, { scope: 'openid email offline_access' });
    expect(started.verification_uri).toBe(`${t.issuer}/oidc/device`);

    const browser = newBrowser();
    const entry = await browser.open(started.verification_uri);
    expect(entry.status).toBe(200);
    const form = entry.form();
    expect(Object.keys(form.fields).sort()).toEqual(['userCode', 'xsrf']);
    const confirm = await form.submit({ userCode: started.user_code });
    expect(confirm.text()).toMatch(/Connect TV App\?/);
    const signIn = await confirm.form().submit({}, { name: 'decision', value: 'allow' });
    expect(isSignInPage(signIn)).toBe(true);
    const consent = await submitPassword(signIn, user.email);
    const done = await decide(consent, 'allow');
    expect(done.text()).toMatch(/Device connected/);

    const tokens = await rp.oidc.pollDeviceAuthorizationGrant(rp.configuration, { ...started, interval: 0.1 } as typeof started);
    expect(tokens.claims()!.sub).toBe(user.user.id);
    expect(tokens.refresh_token).toEqual(expect.any(String));
  });

  it('re-renders the entry page with a message for an unknown code, and the device is told access_denied when the person denies', async () => {
    const rp = await deviceClient();
    const started = await rp.oidc.initiateDeviceAuthorization(rp.configuration, { scope: 'openid' });
    const browser = newBrowser();
    const entry = await browser.open(started.verification_uri);
    const wrong = await entry.form().submit({ userCode: 'BCDF-GHJK' });
    expect(wrong.status).toBe(400);
    expect(wrong.text()).toMatch(/not valid/);

    const confirm = await wrong.form().submit({ userCode: started.user_code });
    const denied = await confirm.form().submit({}, { name: 'decision', value: 'deny' });
    expect(denied.status).toBe(400);
    await expect(rp.oidc.pollDeviceAuthorizationGrant(rp.configuration, { ...started, interval: 0.1 } as typeof started)).rejects.toMatchObject({
      error: 'access_denied',
    });
  });
});
