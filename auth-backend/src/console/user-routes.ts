/**
 * The Users section: search and paging as GET /admin/users (the same query schema, the same page
 * size and keyset cursors), a user's page, and the actions, each through the AdminService the
 * admin API calls (the same validation, the same audit events, with the console's administrator as
 * actor). An action redirects to the user's page, which says what happened (POST, redirect, GET);
 * a refused value re-renders the page with the message and a 4xx.
 */
import type { Router } from 'express';
import { AppError } from '../errors';
import type { AdminService } from '../admin/admin-service';
import { AdminUserPatch, UserListQuery } from '../admin/admin-schemas';
import { parseInput } from '../http/validate';
import type { SessionSummary } from '../tables/sessions';
import type { AdminChanges } from '../tables/users';
import { problemText, type ConsoleAccess, type ConsoleRequest } from './console-access';
import { UsersPage, userHref } from './pages/users-page';
import { UserPage, type UserPageProps } from './pages/user-page';

export interface UserRoutesDeps {
  access: ConsoleAccess;
  admin: AdminService;
  /** A user's live sessions, newest first (tables/sessions.ts, listLive). */
  sessionsOf: (userId: string) => Promise<SessionSummary[]>;
}

/** The admin API's default page size. */
const PAGE_SIZE = 50;
const RECENT_EVENTS = 10;

const DONE: Record<string, string> = {
  disabled: 'The account is disabled and every session of it is revoked.',
  enabled: 'The account is enabled.',
  'signed-out': 'Every session of this user is revoked.',
  'mfa-reset': 'The second factor and its recovery codes are removed; the user was sent a notice.',
  role: 'The role is changed.',
  verified: 'The email address is marked verified.',
  deleted: 'The user is deleted.',
};

/** The named query parameters as single strings (a repeated one is ignored). */
const pick = (query: Record<string, unknown>, names: string[]) =>
  Object.fromEntries(names.flatMap((name) => (typeof query[name] === 'string' ? [[name, query[name]]] : [])));

export const doneMessage = (query: Record<string, unknown>) => (typeof query.done === 'string' ? DONE[query.done] : undefined);

export function userRoutes({ access, admin, sessionsOf }: UserRoutesDeps) {
  const id = (c: ConsoleRequest) => String(c.req.params.id);

  async function showUser(c: ConsoleRequest, status: number, extra: Pick<UserPageProps, 'notice' | 'error'> = {}) {
    const user = await admin.getUser(id(c));
    const [sessions, events] = await Promise.all([sessionsOf(user.id), admin.listAudit({ userId: user.id, limit: RECENT_EVENTS })]);
    c.send(status, UserPage({ chrome: c.chrome, csrf: c.csrf, user, sessions, events: events.items, ...extra }));
  }

  /** An action on one user, then back to their page saying what happened. */
  const act = (done: string, run: (c: ConsoleRequest) => Promise<void>) =>
    access.action(async (c) => {
      await run(c);
      c.res.redirect(303, `${userHref(id(c))}?done=${done}`);
    });
  const update = (changes: AdminChanges) => (c: ConsoleRequest) => admin.updateUser(c.actor, id(c), changes, c.meta).then(() => undefined);

  return (router: Router) => {
    router.get(
      '/console/users',
      access.page(async (c) => {
        const raw = pick(c.req.query, ['search', 'limit', 'cursor']);
        const search = typeof raw.search === 'string' ? raw.search : '';
        try {
          const query = parseInput(UserListQuery, raw);
          const limit = query.limit ?? PAGE_SIZE;
          const page = await admin.listUsers({ search: query.search || undefined, limit, cursor: query.cursor });
          const next =
            page.nextCursor &&
            new URLSearchParams({
              ...(query.search ? { search: query.search } : {}),
              ...(query.limit ? { limit: String(limit) } : {}),
              cursor: page.nextCursor,
            });
          c.send(
            200,
            UsersPage({ chrome: c.chrome, search, users: page.items, nextHref: next ? `/console/users?${next}` : undefined, notice: doneMessage(c.req.query) }),
          );
        } catch (error) {
          if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
          c.send(400, UsersPage({ chrome: c.chrome, search, users: [], error: problemText(error) }));
        }
      }),
    );
    router.get(
      '/console/users/:id',
      access.page((c) => showUser(c, 200, { notice: doneMessage(c.req.query) })),
    );
    router.post('/console/users/:id/disable', act('disabled', update({ disabled: true })));
    router.post('/console/users/:id/enable', act('enabled', update({ disabled: false })));
    router.post('/console/users/:id/verify', act('verified', update({ emailVerified: true })));
    router.post(
      '/console/users/:id/sign-out',
      act('signed-out', (c) => admin.signOut(c.actor, id(c), c.meta)),
    );
    router.post(
      '/console/users/:id/reset-mfa',
      act('mfa-reset', (c) => admin.resetSecondFactor(c.actor, id(c), c.meta)),
    );
    router.post(
      '/console/users/:id/role',
      access.action(async (c) => {
        let changes: AdminChanges;
        try {
          changes = parseInput(AdminUserPatch, { role: c.field('role') });
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          return showUser(c, 400, { error: { form: 'role', message: problemText(error) } });
        }
        await update(changes)(c);
        c.res.redirect(303, `${userHref(id(c))}?done=role`);
      }),
    );
    router.post(
      '/console/users/:id/delete',
      access.action(async (c) => {
        const user = await admin.getUser(id(c));
        const typed = (c.field('email') ?? '').trim().toLowerCase();
        if (typed !== user.email.toLowerCase()) {
          const message = 'The address typed is not this user’s email address: nothing was deleted.';
          return showUser(c, 400, { error: { form: 'delete', message } });
        }
        await admin.deleteUser(c.actor, user.id, c.meta);
        c.res.redirect(303, '/console/users?done=deleted');
      }),
    );
  };
}
