/**
 * docs/oidc-provider.md's example (examples/relying-party.mjs) is real: run as a process against
 * the provider, it signs a person in (openid-client) and its API accepts the provider's JWT access
 * tokens (jose's createRemoteJWKSet) and refuses anything else.
 */
import path from 'node:path';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { registerUser } from '../support/test-app';
import { startProviderApp, type ProviderTestApp } from '../support/provider-app';
import { BrowserSession } from '../support/browser-session';
import { decide, submitPassword } from '../support/provider-flows';

let t: ProviderTestApp;
let example: ChildProcess;
let appUrl: string;
let client: { clientId: string; clientSecret?: string };

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  t = await startProviderApp();
  appUrl = `http://127.0.0.1:${await freePort()}`;
  client = await t.registerClient({
    name: 'Example',
    type: 'confidential',
    redirectUris: [`${appUrl}/callback`],
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    resources: [`${appUrl}/api`],
  });
  example = spawn(process.execPath, [path.join(__dirname, '../../examples/relying-party.mjs')], {
    env: { PATH: process.env.PATH, ISSUER: t.issuer, CLIENT_ID: client.clientId, CLIENT_SECRET: client.clientSecret, APP_URL: appUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    example.once('exit', (code) => reject(new Error(`the example app exited (${code})`)));
    createInterface({ input: example.stdout! }).once('line', () => resolve());
  });
});
afterAll(async () => {
  example?.kill('SIGTERM');
  await t?.close();
});

describe('examples/relying-party.mjs', () => {
  it('signs a person in through the hosted pages and shows who', async () => {
    const user = await registerUser(t.app);
    const browser = new BrowserSession();
    const signIn = await browser.open(`${appUrl}/login`);
    const consent = await submitPassword(signIn, user.email);
    const done = await decide(consent, 'allow');
    expect(done.url.href).toMatch(new RegExp(`^${appUrl}/callback`));
    expect(done.document.querySelector('#user')!.textContent).toBe(`Signed in as ${user.email} (${user.user.id})`);
  });

  it('accepts at its API an access token issued for it, and refuses another token', async () => {
    const response = await fetch(`${t.issuer}/oidc/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: `${appUrl}/api` }),
    });
    const { access_token: token } = (await response.json()) as { access_token: string };
    const accepted = await fetch(`${appUrl}/api/whoami`, { headers: { authorization: `Bearer ${token}` } });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual(expect.objectContaining({ sub: client.clientId, client_id: client.clientId }));
    const tampered = `${token.slice(0, -4)}AAAA`;
    expect((await fetch(`${appUrl}/api/whoami`, { headers: { authorization: `Bearer ${tampered}` } })).status).toBe(401);
    expect((await fetch(`${appUrl}/api/whoami`)).status).toBe(401);
  });
});
