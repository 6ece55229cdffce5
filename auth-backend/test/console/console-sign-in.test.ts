/**
 * The console's sign-in: through the service's own provider (its built-in first-party client, code
 * + PKCE), the administrator role and ADMIN_REQUIRE_MFA on every request, and a console session
 * that ends with the provider session and never outlives the service session under it.
 */
import { startProviderApp, type ProviderTestApp } from '../support/provider-app';
import { consoleUser, signInToConsole } from '../support/console';

let t: ProviderTestApp;
beforeAll(async () => {
  t = await startProviderApp({ ADMIN_REQUIRE_MFA: 'true' });
});
afterAll(() => t.close());

describe('GET /console', () => {
  it('signs an administrator with a second factor in through the hosted pages and lands on the users page', async () => {
    const admin = await consoleUser(t);
    const { page } = await signInToConsole(t, admin);
    expect(page.status).toBe(200);
    expect(page.url.pathname).toBe('/console/users');
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(page.text()).toContain(admin.email);
  });
});
