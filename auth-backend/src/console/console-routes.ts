/**
 * The console's routes under /console: its own sign-in (start, callback, sign-out through the
 * provider's end_session endpoint, signed out), then the sections, each behind ConsoleAccess.
 * Pages answer text/html with the provider pages' headers and Cache-Control: no-store.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '../logger';
import type { ConsoleAccess } from './console-access';
import { send } from './console-access';
import type { ConsoleCookies } from './console-cookies';
import { ConsoleSignInError, type ConsoleSignIn } from './console-sign-in';
import { CONSOLE_CLIENT_ID, consoleSignedOutUri } from './console-client';
import { ConsoleMessage } from './pages/console-layout';

export interface ConsoleRoutesDeps {
  access: ConsoleAccess;
  cookies: ConsoleCookies;
  signIn: ConsoleSignIn;
  issuer: string;
  logger: Logger;
  /** Each section's routes, mounted on the console's router. */
  sections: Array<(router: Router) => void>;
}

const wrap =
  (handler: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req, res, next) =>
    void handler(req, res).catch(next);

export function consoleRoutes({ access, cookies, signIn, issuer, sections }: ConsoleRoutesDeps): RequestHandler {
  const router = Router();
  const again = { href: '/console/sign-in', label: 'Sign in' };

  // Nothing under /console is cached: pages, and the redirects of sign-in and actions.
  router.use('/console', (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.get('/console', (_req, res) => res.redirect(303, '/console/users'));
  router.get(
    '/console/sign-in',
    wrap((req, res) => access.startSignIn(res, '/console/users', req.query.prompt === 'login' ? 'login' : undefined)),
  );
  router.get(
    '/console/callback',
    wrap(async (req, res) => {
      const flow = cookies.flow(req);
      cookies.clearFlow(res);
      if (!flow) {
        const message = 'This sign-in is no longer valid in this browser (it took too long, or began elsewhere). Sign in again.';
        return send(res, 400, ConsoleMessage({ chrome: access.chrome(), title: 'Sign-in expired', message, link: again }));
      }
      try {
        cookies.setSession(res, await signIn.finish(req, flow));
      } catch (error) {
        if (!(error instanceof ConsoleSignInError)) throw error;
        req.log?.info({ event: 'console.sign_in', outcome: 'failure', reason: error.message }, 'console sign-in did not finish');
        return send(res, 400, ConsoleMessage({ chrome: access.chrome(), title: 'Sign-in did not finish', message: `${error.message}.`, link: again }));
      }
      res.setHeader('Cache-Control', 'no-store');
      res.redirect(303, flow.returnTo);
    }),
  );
  // The provider asks to confirm, ends the provider session and the service session under it, and comes back.
  router.get('/console/sign-out', (_req, res) => {
    const url = new URL(`${issuer}/oidc/session/end`);
    url.search = new URLSearchParams({ client_id: CONSOLE_CLIENT_ID, post_logout_redirect_uri: consoleSignedOutUri(issuer) }).toString();
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, url.href);
  });
  router.get('/console/signed-out', (_req, res) => {
    cookies.clearSession(res);
    send(res, 200, ConsoleMessage({ chrome: access.chrome(), title: 'Signed out', message: 'You are signed out of the console.', link: again, error: false }));
  });
  for (const mount of sections) mount(router);
  // Anything else under /console: a page (after the sign-in), not the JSON API's problem body.
  router.get(
    '/console/*rest',
    access.page(async (c) =>
      c.send(
        404,
        ConsoleMessage({
          chrome: c.chrome,
          title: 'Not found',
          message: 'There is no such page in the console.',
          link: { href: '/console/users', label: 'Back to users' },
        }),
      ),
    ),
  );
  return router;
}
