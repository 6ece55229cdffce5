/**
 * The Apps section: the provider's clients through the ClientService that /admin/clients calls
 * (its request schemas, its rules, its oauth.client_* events with the console's administrator as
 * actor). A new secret (a confidential app's creation, a rotation) is shown once, on the page the
 * action redirects to: it travels there in a sealed, short-lived cookie bound to the console
 * session, never in a URL, and the page clears it as it shows it.
 */
import type { Router } from 'express';
import { AppError } from '../errors';
import type { ClientService } from '../provider/client-service';
import { CreateClientBody, UpdateClientBody } from '../provider/client-schemas';
import { parseInput } from '../http/validate';
import { problemText, type ConsoleAccess, type ConsoleRequest } from './console-access';
import type { ConsoleCookies } from './console-cookies';
import { CONSOLE_CLIENT_ID } from './console-client';
import { AppPage, AppsPage, NewAppPage, appHref, type AppPageProps } from './pages/apps-pages';

export interface AppRoutesDeps {
  access: ConsoleAccess;
  clients: ClientService;
  cookies: ConsoleCookies;
}

const DONE: Record<string, string> = {
  created: 'The app is registered.',
  uris: 'The redirect URIs are saved.',
  rotated: 'The secret is replaced: the old one no longer works.',
  deleted: 'The app is deleted, with every grant and token it held.',
};

/** A textarea's lines: one URI each, blank lines dropped. */
const lines = (text: string | undefined) =>
  (text ?? '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);

const isValidation = (error: unknown): error is AppError => error instanceof AppError && error.code === 'validation_failed';

export function appRoutes({ access, clients, cookies }: AppRoutesDeps) {
  const id = (c: ConsoleRequest) => String(c.req.params.id);
  const done = (c: ConsoleRequest) => (typeof c.req.query.done === 'string' ? DONE[c.req.query.done] : undefined);
  const actor = (c: ConsoleRequest) => ({ actorId: c.actor.user.id, meta: c.meta });

  async function showApp(c: ConsoleRequest, status: number, extra: Pick<AppPageProps, 'notice' | 'error' | 'uris' | 'secret'> = {}) {
    const app = await clients.get(id(c));
    c.send(status, AppPage({ chrome: c.chrome, csrf: c.csrf, app, builtIn: app.id === CONSOLE_CLIENT_ID, ...extra }));
  }

  return (router: Router) => {
    router.get(
      '/console/apps',
      access.page(async (c) => c.send(200, AppsPage({ chrome: c.chrome, apps: await clients.list(), notice: done(c) }))),
    );
    router.get(
      '/console/apps/new',
      access.page(async (c) =>
        c.send(
          200,
          NewAppPage({
            chrome: c.chrome,
            csrf: c.csrf,
            values: { name: '', type: 'confidential', redirectUris: '', postLogoutRedirectUris: '', firstParty: false },
          }),
        ),
      ),
    );
    router.post(
      '/console/apps',
      access.action(async (c) => {
        const values = {
          name: c.field('name') ?? '',
          type: c.field('type') ?? '',
          redirectUris: c.field('redirectUris') ?? '',
          postLogoutRedirectUris: c.field('postLogoutRedirectUris') ?? '',
          firstParty: c.field('firstParty') === 'true',
        };
        try {
          const body = parseInput(CreateClientBody, {
            name: values.name,
            type: values.type,
            redirectUris: lines(values.redirectUris),
            postLogoutRedirectUris: lines(values.postLogoutRedirectUris),
            firstParty: values.firstParty,
          });
          const { client, clientSecret } = await clients.create(body, actor(c));
          if (clientSecret) cookies.setSecret(c.res, c.session, client.id, clientSecret);
          c.res.redirect(303, `${appHref(client.id)}?done=created`);
        } catch (error) {
          if (!isValidation(error)) throw error;
          c.send(400, NewAppPage({ chrome: c.chrome, csrf: c.csrf, values, error: problemText(error) }));
        }
      }),
    );
    router.get(
      '/console/apps/:id',
      access.page(async (c) => {
        const secret = cookies.secret(c.req, c.session, id(c));
        if (secret) cookies.clearSecret(c.res);
        await showApp(c, 200, { notice: done(c), secret });
      }),
    );
    router.post(
      '/console/apps/:id/redirect-uris',
      access.action(async (c) => {
        const uris = { redirectUris: c.field('redirectUris') ?? '', postLogoutRedirectUris: c.field('postLogoutRedirectUris') ?? '' };
        try {
          const changes = parseInput(UpdateClientBody, { redirectUris: lines(uris.redirectUris), postLogoutRedirectUris: lines(uris.postLogoutRedirectUris) });
          await clients.update(id(c), changes, actor(c));
        } catch (error) {
          if (!isValidation(error)) throw error;
          return showApp(c, 400, { error: problemText(error), uris });
        }
        c.res.redirect(303, `${appHref(id(c))}?done=uris`);
      }),
    );
    router.post(
      '/console/apps/:id/secret',
      access.action(async (c) => {
        const secret = await clients.rotateSecret(id(c), actor(c));
        cookies.setSecret(c.res, c.session, id(c), secret);
        c.res.redirect(303, `${appHref(id(c))}?done=rotated`);
      }),
    );
    router.post(
      '/console/apps/:id/delete',
      access.action(async (c) => {
        await clients.delete(id(c), actor(c));
        c.res.redirect(303, '/console/apps?done=deleted');
      }),
    );
  };
}
