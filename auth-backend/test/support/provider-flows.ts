/**
 * The steps of the provider's flows that many tests share: a person signing in through the hosted
 * pages (password, consent when asked), as a browser without JavaScript does, for a relying party
 * built on openid-client.
 */
import { decodeJwt } from 'jose';
import { BrowserSession, type Page } from './browser-session';
import type { AuthorizationRequest, RelyingParty } from './provider-app';
import { STRONG_PASSWORD } from './test-app';

export const APP_CALLBACK = 'https://app.test/callback';
export const OTHER_CALLBACK = 'https://other.test/callback';

/** A browser whose redirect chains stop at the test applications' callbacks (nothing serves them). */
export const newBrowser = () => new BrowserSession([APP_CALLBACK, OTHER_CALLBACK, 'https://app.test/', 'https://other.test/']);

export const isSignInPage = (page: Page) => page.document.querySelector('input[name=password]') !== null;
export const isConsentPage = (page: Page) =>
  page.document.querySelector('button[name=decision][value=allow]') !== null && page.url.pathname.startsWith('/oidc/interaction/');

/** Fills in the sign-in page's password form. */
export const submitPassword = (page: Page, email: string, password = STRONG_PASSWORD) => page.form().submit({ email, password });

/** Presses a consent page's Allow (or Deny). */
export const decide = (page: Page, decision: 'allow' | 'deny') => page.form().submit({}, { name: 'decision', value: decision });

/**
 * One authorization from start to the application's callback: the sign-in page when the browser
 * has no session (or the request asks for it), the consent page when it comes, Allow.
 */
export async function authorize(
  browser: BrowserSession,
  rp: RelyingParty,
  user: { email: string; password?: string },
  parameters: Record<string, string> = {},
): Promise<{ request: AuthorizationRequest; callback: URL; pages: Page[] }> {
  const request = await rp.authorize(parameters);
  const pages: Page[] = [];
  let page = await browser.open(request.url);
  for (let step = 0; step < 4 && page.status !== 0; step++) {
    pages.push(page);
    if (isSignInPage(page)) page = await submitPassword(page, user.email, user.password);
    else if (isConsentPage(page)) page = await decide(page, 'allow');
    else throw new Error(`unexpected page ${page.status} ${page.url.href}: ${page.text().slice(0, 300)}`);
  }
  return { request, callback: page.url, pages };
}

/** authorize() and the code exchange: the tokens and the ID token's claims. */
export async function signInAndExchange(
  browser: BrowserSession,
  rp: RelyingParty,
  user: { email: string; password?: string },
  parameters: Record<string, string> = {},
) {
  const { request, callback, pages } = await authorize(browser, rp, user, parameters);
  const tokens = await rp.exchange(callback, request);
  return { tokens, idToken: decodeJwt(tokens.id_token!), pages, callback };
}
