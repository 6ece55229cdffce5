/**
 * A real OpenID Provider on loopback for the sign-in tests: oidc-provider-server.mjs (panva's
 * oidc-provider, the certified provider library) run as a process of its own, as a provider is,
 * and driven through its control endpoints: which account signs in at its (person-less) login,
 * a refusal, or an ID token rewritten and signed again (a wrong nonce, aud, iss, exp) or signed with
 * a key it does not publish (a wrong signature).
 *
 * A browser is played by followToCallback: it follows the redirects from the service's start URL
 * through the provider with a cookie jar of its own, and stops at the service's callback.
 */
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface TestAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
}

/** Claims to overwrite in the next ID token, and whether to sign it with the unpublished key. */
export interface IdTokenTamper {
  claims?: Record<string, unknown>;
  foreignKey?: boolean;
}

export interface OidcTestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The account that signs in at the next logins. */
  signInAs(account: TestAccount): Promise<void>;
  /** The next login ends with error=access_denied and this description. */
  refuseNextSignIn(description: string): Promise<void>;
  tamperNextIdToken(tamper: IdTokenTamper): Promise<void>;
  /** How many ID tokens were tampered with (proves a negative test reached the token endpoint). */
  tampered(): Promise<number>;
  stop(): Promise<void>;
}

const SCRIPT = path.join(__dirname, 'oidc-provider-server.mjs');

export async function startOidcTestProvider(options: { redirectUri: string; clientId?: string; clientSecret?: string }): Promise<OidcTestProvider> {
  const clientId = options.clientId ?? 'auth-backend-test';
  const clientSecret = options.clientSecret ?? 'a-test-client-secret-of-some-length';
  const child: ChildProcess = spawn(process.execPath, [SCRIPT], {
    env: { ...process.env, PORT: '0', REDIRECT_URIS: options.redirectUri, CLIENT_ID: clientId, CLIENT_SECRET: clientSecret },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const issuer = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the test provider exited (${code}) before it listened`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { issuer: string }).issuer));
  });
  const control = async (name: string, body?: unknown) => {
    const response = await fetch(`${issuer}/control/${name}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`test provider control ${name}: ${response.status}`);
    return (await response.json()) as { tampered: number };
  };
  return {
    issuer,
    clientId,
    clientSecret,
    signInAs: async (account) => void (await control('sign-in-as', account)),
    refuseNextSignIn: async (description) => void (await control('refuse-next', { description })),
    tamperNextIdToken: async (tamper) => void (await control('tamper-next', tamper)),
    tampered: async () => (await control('stats')).tampered,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A browser's cookies, by name (the provider's are all on one host). */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  store(setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = attributes.some((attribute) => /^\s*expires=.*1970/i.test(attribute) || /^\s*max-age=0\s*$/i.test(attribute));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/**
 * Plays the browser from `start` (the provider's authorization URL that the service redirected
 * to) until the provider redirects to `callbackPrefix`; returns that callback URL. Each call is a
 * new browser (no provider session from an earlier sign-in).
 */
export async function followToCallback(start: string, callbackPrefix: string): Promise<URL> {
  const jar = new CookieJar();
  let url = start;
  for (let hop = 0; hop < 15; hop++) {
    if (url.startsWith(callbackPrefix)) return new URL(url);
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.store(response.headers.getSetCookie());
    const location = response.headers.get('location');
    if (!location) throw new Error(`the provider did not redirect from ${url}: ${response.status} ${(await response.text()).slice(0, 500)}`);
    url = new URL(location, url).href;
  }
  throw new Error(`too many redirects from ${start}`);
}
