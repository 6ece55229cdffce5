/**
 * The admin console as its users meet it, without JavaScript: a BrowserSession opens
 * PUBLIC_URL/console, is sent through the provider's hosted sign-in (password, then the second
 * factor when the account has one) and comes back signed in to the console.
 */
import request from 'supertest';
import { BrowserSession, type Page } from './browser-session';
import { registerUser } from './test-app';
import type { ProviderTestApp } from './provider-app';
import { bearer } from './admin';
import { stepOf, totpAtStep } from '../mfa/totp-reference';

export interface ConsoleUser {
  id: string;
  email: string;
  password: string;
  /** The TOTP secret, when the account has a second factor. */
  totpSecret?: string;
  /** The time step of the last code used (each code is accepted once). */
  step?: number;
}

/** A registered account, made administrator (as users:set-role does) unless `role: 'user'`, with a TOTP factor when asked. */
export async function consoleUser(t: ProviderTestApp, { role = 'admin', secondFactor = true }: { role?: 'admin' | 'user'; secondFactor?: boolean } = {}) {
  const registered = await registerUser(t.app);
  if (role === 'admin') await t.database.query(`UPDATE "user" SET role = 'admin' WHERE id = $1`, [registered.user.id]);
  const user: ConsoleUser = { id: registered.user.id, email: registered.email, password: registered.password };
  if (secondFactor) {
    const setup = await request(t.app).post('/auth/mfa/totp/setup').set(bearer(registered.accessToken)).expect(200);
    user.step = stepOf(Date.now());
    await request(t.app)
      .post('/auth/mfa/totp/confirm')
      .set(bearer(registered.accessToken))
      .send({ code: totpAtStep(setup.body.secret, user.step) })
      .expect(200);
    user.totpSecret = setup.body.secret as string;
  }
  return user;
}

/** Signs `user` in to the console through the hosted pages; the browser and the page it ends on. */
export async function signInToConsole(t: ProviderTestApp, user: ConsoleUser, path = '/console'): Promise<{ browser: BrowserSession; page: Page }> {
  const browser = new BrowserSession();
  const signIn = await browser.open(`${t.issuer}${path}`);
  if (!signIn.document.querySelector('input[name=password]')) throw new Error(`not the sign-in page: ${signIn.url.href} ${signIn.text().slice(0, 200)}`);
  let page = await signIn.form().submit({ email: user.email, password: user.password });
  if (user.totpSecret && page.document.querySelector('input[name=code]')) {
    user.step = (user.step ?? stepOf(Date.now())) + 1;
    page = await page.form().submit({ code: totpAtStep(user.totpSecret, user.step) });
  }
  return { browser, page };
}
