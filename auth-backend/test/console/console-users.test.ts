/**
 * The Users and Audit log sections over HTTP, as a browser without JavaScript uses them: forms read
 * from the page and submitted with their hidden fields (the CSRF token), each action followed by
 * its redirect to a page that says what happened, and its audit event with the console's
 * administrator as actorId: the same services as the admin API.
 */
import request from 'supertest';
import { startProviderApp, type ProviderTestApp } from '../support/provider-app';
import { consoleUser, signInToConsole, type ConsoleUser } from '../support/console';
import type { BrowserSession, Page } from '../support/browser-session';
import { registerUser } from '../support/test-app';
import { bearer } from '../support/admin';

let t: ProviderTestApp;
let admin: ConsoleUser;
let browser: BrowserSession;

beforeAll(async () => {
  t = await startProviderApp({ ADMIN_REQUIRE_MFA: 'true', SMTP_URL: '' });
  admin = await consoleUser(t);
  ({ browser } = await signInToConsole(t, admin));
});
afterAll(() => t.close());

const open = (path: string) => browser.open(`${t.issuer}${path}`);
const userPage = (id: string) => open(`/console/users/${id}`);
/** The event of `type` about `userId` written by the console's administrator, if any. */
const eventBy = async (type: string, userId: string) =>
  (
    await t.database.query<{ data: Record<string, unknown> }>(`SELECT data FROM audit_event WHERE type = $1 AND "userId" = $2 AND "actorId" = $3`, [
      type,
      userId,
      admin.id,
    ])
  )[0];
const formFor = (page: Page, action: string) => page.form(`form[action$="${action}"]`);

describe('GET /console/users', () => {
  it('searches by email or name with the API’s semantics and pages with a next link over the cursor', async () => {
    const tag = `tag${Date.now()}`;
    for (let i = 0; i < 3; i++) await registerUser(t.app, { name: `Console ${tag} ${i}` });
    const first = await open(`/console/users?search=${tag.toUpperCase()}&limit=2`);
    expect(first.status).toBe(200);
    expect(first.document.querySelectorAll('tbody tr')).toHaveLength(2);
    const next = first.document.querySelector('a[rel=next]')!.getAttribute('href')!;
    expect(next).toMatch(/cursor=/);
    const second = await open(next);
    expect(second.document.querySelectorAll('tbody tr')).toHaveLength(1);
    expect(second.document.querySelector('a[rel=next]')).toBeNull();
    expect(second.text()).toContain(`Console ${tag} 0`);
  });

  it('uses the search form of the page (GET), whose results link to each user', async () => {
    const user = await registerUser(t.app);
    const page = await (await open('/console/users')).form('form[role=search]').submit({ search: user.email });
    expect(page.url.searchParams.get('search')).toBe(user.email);
    expect(page.document.querySelector(`a[href="/console/users/${user.user.id}"]`)).not.toBeNull();
  });

  it('re-renders the page with the message and a 400 for a cursor the service did not issue', async () => {
    const page = await open('/console/users?cursor=forged');
    expect(page.status).toBe(400);
    expect(page.text()).toMatch(/cursor: is not a cursor this service issued/);
  });
});

describe('GET /console/users/{id}', () => {
  it('shows the profile, sessions with their browser and times, second factor, passkeys and recent events', async () => {
    const user = await consoleUser(t, { role: 'user' });
    const page = await userPage(user.id);
    expect(page.status).toBe(200);
    const text = page.text();
    expect(text).toContain(user.email);
    expect(text).toMatch(/Second factor\s*authenticator app/);
    expect(text).toMatch(/Passkeys\s*0/);
    expect(page.document.querySelectorAll('time[datetime]').length).toBeGreaterThan(3);
    expect(text).toContain('mfa.enabled');
    expect(text).toMatch(/Sessions.*(Unknown browser|Node\.js)/);
  });

  it('answers 404 with a page for an unknown user', async () => {
    expect((await userPage('00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});

describe('the actions on a user', () => {
  it('disables (revoking every session: refresh fails) and enables, each with its admin.user_updated event', async () => {
    const user = await registerUser(t.app);
    const disabled = await formFor(await userPage(user.user.id), '/disable').submit();
    expect(disabled.hops[1]).toMatch(/\?done=disabled$/);
    expect(disabled.url.pathname).toBe(`/console/users/${user.user.id}`);
    expect(disabled.text()).toMatch(/The account is disabled/);
    expect((await eventBy('admin.user_updated', user.user.id))!.data).toMatchObject({ disabled: true, revokedSessions: 1 });
    await request(t.app).post('/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);

    const enabled = await formFor(disabled, '/enable').submit();
    expect(enabled.text()).toMatch(/The account is enabled/);
    const [row] = await t.database.query<{ disabledAt: Date | null }>(`SELECT "disabledAt" FROM "user" WHERE id = $1`, [user.user.id]);
    expect(row!.disabledAt).toBeNull();
  });

  it('signs the user out everywhere (admin.user_signed_out)', async () => {
    const user = await registerUser(t.app);
    const page = await formFor(await userPage(user.user.id), '/sign-out').submit();
    expect(page.text()).toMatch(/Every session of this user is revoked/);
    expect((await eventBy('admin.user_signed_out', user.user.id))!.data).toEqual({ revokedSessions: 1 });
    await request(t.app).get('/auth/me').set(bearer(user.accessToken)).expect(401);
  });

  it('removes the second factor (admin.mfa_reset)', async () => {
    const user = await consoleUser(t, { role: 'user' });
    const page = await formFor(await userPage(user.id), '/reset-mfa').submit();
    expect(page.text()).toMatch(/second factor and its recovery codes are removed/);
    expect(await eventBy('admin.mfa_reset', user.id)).toBeDefined();
    expect(page.text()).toMatch(/Second factor\s*none/);
  });

  it('changes the role and marks the email verified', async () => {
    const user = await registerUser(t.app);
    const promoted = await formFor(await userPage(user.user.id), '/role').submit({ role: 'admin' });
    expect(promoted.text()).toMatch(/The role is changed/);
    expect((await eventBy('admin.user_updated', user.user.id))!.data).toEqual({ fields: ['role'], role: 'admin' });
    const verified = await formFor(promoted, '/verify').submit();
    expect(verified.text()).toMatch(/marked verified/);
    const [row] = await t.database.query<{ role: string; emailVerifiedAt: Date | null }>(`SELECT role, "emailVerifiedAt" FROM "user" WHERE id = $1`, [
      user.user.id,
    ]);
    expect(row!.role).toBe('admin');
    expect(row!.emailVerifiedAt).not.toBeNull();
  });

  it('re-renders a bad role with the API’s message and a 400, and changes nothing', async () => {
    const user = await registerUser(t.app);
    const page = await formFor(await userPage(user.user.id), '/role').submit({ role: 'superuser' });
    expect(page.status).toBe(400);
    expect(page.text()).toMatch(/role: Invalid option/);
    expect(await eventBy('admin.user_updated', user.user.id)).toBeUndefined();
  });

  it('deletes only when the user’s email is typed again (user.deleted, by the administrator)', async () => {
    const user = await registerUser(t.app);
    const wrong = await formFor(await userPage(user.user.id), '/delete').submit({ email: 'someone-else@example.com' });
    expect(wrong.status).toBe(400);
    expect(wrong.text()).toMatch(/not this user’s email address: nothing was deleted/);
    expect(await t.database.query(`SELECT 1 FROM "user" WHERE id = $1`, [user.user.id])).toHaveLength(1);

    const deleted = await formFor(wrong, '/delete').submit({ email: user.email.toUpperCase() });
    expect(deleted.url.pathname).toBe('/console/users');
    expect(deleted.text()).toMatch(/The user is deleted/);
    expect(await t.database.query(`SELECT 1 FROM "user" WHERE id = $1`, [user.user.id])).toHaveLength(0);
    expect(await eventBy('user.deleted', user.user.id)).toBeDefined();
  });
});

describe('GET /console/audit', () => {
  it('filters by user and type, newest first, and pages with a next link', async () => {
    const user = await registerUser(t.app);
    for (let i = 0; i < 3; i++) await formFor(await userPage(user.user.id), '/sign-out').submit();
    const filtered = await (await open('/console/audit')).form('form[role=search]').submit({ userId: user.user.id, type: 'admin.user_signed_out' });
    expect(filtered.status).toBe(200);
    expect(filtered.document.querySelectorAll('tbody tr')).toHaveLength(3);
    const paged = await open(`/console/audit?userId=${user.user.id}&type=admin.user_signed_out&limit=2`);
    expect(paged.document.querySelectorAll('tbody tr')).toHaveLength(2);
    const second = await open(paged.document.querySelector('a[rel=next]')!.getAttribute('href')!);
    expect(second.document.querySelectorAll('tbody tr')).toHaveLength(1);
  });

  it('re-renders a bad filter with the message and a 400', async () => {
    const page = await open('/console/audit?userId=not-a-uuid');
    expect(page.status).toBe(400);
    expect(page.text()).toMatch(/userId/);
  });
});
