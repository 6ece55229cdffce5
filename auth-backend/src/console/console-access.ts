/**
 * Who may use the console, checked on every request as for the admin API: the console session's
 * service session must be live (tables/sessions.ts, the one live-session rule), and its user an
 * administrator now, signed in with a second factor under ADMIN_REQUIRE_MFA (AdminService.
 * requireAdmin, the API's own check). No console session: the browser is sent to sign in through
 * the provider. Every POST carries the CSRF token of its console session, checked before anything
 * else. A handler's AppError becomes a page with the status its code has in the API.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { VNode } from 'preact';
import { AppError, ERRORS } from '../errors';
import type { Authenticated } from '../domain/user';
import type { RequestMeta } from '../domain/audit';
import { requestMeta } from '../http/request-meta';
import type { SessionsTable } from '../tables/sessions';
import type { AdminService } from '../admin/admin-service';
import type { Assets } from '../web/assets';
import { CSRF_FIELD, type CsrfTokens } from '../web/csrf';
import { formBody, formField } from '../web/form-body';
import { sendPage } from '../web/page-headers';
import { renderPage } from '../web/layout';
import type { ConsoleCookies, ConsoleSession } from './console-cookies';
import type { ConsoleSignIn } from './console-sign-in';
import { ConsoleMessage, type Chrome } from './pages/console-layout';

/** What a console handler gets: the request, the administrator, and what its pages need. */
export interface ConsoleRequest {
  req: Request;
  res: Response;
  /** The administrator, as the admin services take the caller. */
  actor: Authenticated;
  session: ConsoleSession;
  /** The CSRF token of this console session, for the page's forms. */
  csrf: string;
  chrome: Chrome;
  meta: RequestMeta;
  /** The form's fields (POST). */
  field(name: string): string | undefined;
  /** Sends a page. */
  send(status: number, page: VNode): void;
}

export type ConsoleHandler = (request: ConsoleRequest) => Promise<void>;

export interface ConsoleAccessDeps {
  cookies: ConsoleCookies;
  signIn: ConsoleSignIn;
  sessions: SessionsTable;
  admin: AdminService;
  csrf: CsrfTokens;
  assets: Assets;
}

/** A console path the browser may be sent back to after signing in. */
export const isConsolePath = (path: string) => /^\/console(\/[\w\-/]*)?(\?[^\\]*)?$/.test(path) && !path.includes('//');

export const send = (res: Response, status: number, page: VNode) => sendPage(res, status, renderPage(page));

export class ConsoleAccess {
  constructor(private readonly deps: ConsoleAccessDeps) {}

  /** The chrome of a page outside a console session (sign-in errors, signed out). */
  chrome(who?: string): Chrome {
    return { stylesheet: this.deps.assets.stylesheetHref, script: this.deps.assets.localTimeHref, who };
  }

  /** Sends the browser to sign in through the provider, coming back to `returnTo`. */
  async startSignIn(res: Response, returnTo: string, prompt?: 'login'): Promise<void> {
    const { flow, url } = await this.deps.signIn.start(isConsolePath(returnTo) ? returnTo : '/console/users', prompt);
    this.deps.cookies.setFlow(res, flow);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, url);
  }

  /** A GET page. */
  page(handler: ConsoleHandler): RequestHandler {
    return this.guard(handler, false);
  }

  /** A POST action: a form body whose CSRF token matches the console session. */
  action(handler: ConsoleHandler): RequestHandler {
    const guarded = this.guard(handler, true);
    return (req, res, next) => formBody(req, res, (error?: unknown) => (error ? next(error) : guarded(req, res, next)));
  }

  private guard(handler: ConsoleHandler, isAction: boolean): RequestHandler {
    return (req, res, next) => {
      void this.admit(req, res, handler, isAction).catch(next);
    };
  }

  private async admit(req: Request, res: Response, handler: ConsoleHandler, isAction: boolean): Promise<void> {
    const { cookies, sessions, admin, csrf } = this.deps;
    const session = cookies.session(req);
    const actor = session && (await sessions.findLive(session.userId, session.sessionId, session.amr));
    if (!session || !actor) {
      if (session) cookies.clearSession(res);
      return this.startSignIn(res, isAction ? '/console/users' : req.originalUrl);
    }
    const chrome = this.chrome(actor.user.email);
    const signOut = { href: '/console/sign-out', label: 'Sign out' };
    try {
      await admin.requireAdmin(actor);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const message =
        error.code === 'mfa_required'
          ? 'Administration needs a sign-in with a second factor. Set up an authenticator app for your account, then sign out and sign in again.'
          : `You are signed in as ${actor.user.email}, which is not an administrator account.`;
      return send(res, 403, ConsoleMessage({ chrome, title: 'No access', message, link: signOut }));
    }
    const token = csrf.token(`console:${session.sessionId}`);
    const body: unknown = req.body;
    if (isAction && !csrf.verify(`console:${session.sessionId}`, formField(body, CSRF_FIELD))) {
      const message = 'This form has expired or did not come from the console. Go back, reload the page and try again.';
      return send(res, 403, ConsoleMessage({ chrome, title: 'Form expired', message, link: { href: '/console/users', label: 'Back to users' } }));
    }
    const request: ConsoleRequest = {
      req,
      res,
      actor,
      session,
      csrf: token,
      chrome,
      meta: requestMeta(req),
      field: (name) => formField(body, name),
      send: (status, page) => send(res, status, page),
    };
    try {
      await handler(request);
    } catch (error) {
      if (!(error instanceof AppError) || ERRORS[error.code].status >= 500) throw error;
      const status = error.extras.status ?? ERRORS[error.code].status;
      send(
        res,
        status,
        ConsoleMessage({ chrome, title: ERRORS[error.code].title, message: error.detail, link: { href: '/console/users', label: 'Back to users' } }),
      );
    }
  }
}

/** The message of a refused value, as the API's problem body lists it (field: message). */
export function problemText(error: AppError): string {
  const fields = error.extras.errors ?? [];
  return fields.length === 0 ? error.detail : `${error.detail} ${fields.map((field) => `${field.path}: ${field.message}`).join('; ')}.`;
}
