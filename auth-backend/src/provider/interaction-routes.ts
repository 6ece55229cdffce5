/**
 * The hosted pages of an interaction (the library sends the browser here when it needs a sign-in
 * or a consent): plain HTML forms that work without JavaScript, each POST checked against its CSRF
 * token (bound to the interaction) before anything else, a failed attempt re-rendered with its
 * message and a 4xx. The passkey button's script posts through a hidden form of the page the same
 * way. Sign-ins go through HostedSignIn (the one pipeline); the result goes back to
 * the library with interactionFinished, which resumes the authorization.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '../logger';
import { AppError } from '../errors';
import type { UsersTable } from '../tables/users';
import type { SignInOutcome } from '../sign-in/sign-in-attempt';
import { requestMeta, userAgentOf } from '../http/request-meta';
import { LoginBody } from '../auth/auth-schemas';
import { MfaVerifyBody } from '../mfa/mfa-schemas';
import { AuthenticationBody } from '../passkeys/passkey-schemas';
import type { Assets } from '../web/assets';
import { CSRF_FIELD, type CsrfTokens } from '../web/csrf';
import { formBody, formField } from '../web/form-body';
import { formTarget, sendPage } from '../web/page-headers';
import { renderPage } from '../web/layout';
import type { ProviderHost } from './provider-host';
import type { HostedSignIn, SignInContext } from './hosted-sign-in';
import type { ProviderGrants } from './provider-grants';
import { INTERACTION_PATH, OIDC_SCOPES } from './provider-configuration';
import { SignInPage } from './pages/sign-in-page';
import { SecondFactorPage } from './pages/second-factor-page';
import { PASSKEY_SCRIPT_NAMES } from './pages/passkey-script';
import { ConsentPage } from './pages/consent-page';
import { MessagePage } from './pages/message-page';
import { permissionsOf } from './scope-descriptions';

export interface InteractionRoutesDeps {
  host: ProviderHost;
  signIn: HostedSignIn;
  grants: ProviderGrants;
  users: UsersTable;
  csrf: CsrfTokens;
  assets: Assets;
  /** The configured external OpenID Connect providers (a button each). */
  externalProviders: () => ReadonlyArray<{ id: string; name: string }>;
  publicUrl: string;
}

type Details = Awaited<ReturnType<ReturnType<ProviderHost['current']>['interactionDetails']>>;

/** What a page of one interaction needs: its client's name, where its forms may end up, its CSRF token. */
interface View {
  details: Details;
  clientId: string;
  clientName: string;
  formTargets: string[];
  csrf: string;
}

/** The OpenID scopes the authorization request asks for (the consent page lists and grants them all). */
const requestedScopes = (details: Details): string[] =>
  typeof details.params.scope === 'string' ? details.params.scope.split(' ').filter((scope) => OIDC_SCOPES.has(scope)) : [];

const wrap =
  (handler: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req, res, next) =>
    void handler(req, res).catch(next);

export function interactionRoutes(deps: InteractionRoutesDeps): RequestHandler {
  const { host, signIn, csrf, assets } = deps;
  const stylesheet = () => assets.stylesheetHref;
  const path = (uid: string, step = '') => `${INTERACTION_PATH}/${encodeURIComponent(uid)}${step}`;
  const passkeyScripts = () => PASSKEY_SCRIPT_NAMES.map((name) => assets.href(name));

  /** A form field holding JSON (a passkey's answer); undefined when absent or not JSON. */
  const jsonField = (body: unknown, name: string): unknown => {
    const text = formField(body, name);
    if (!text) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  };

  const message = (res: Response, status: number, title: string, text: string) =>
    sendPage(res, status, renderPage(MessagePage({ stylesheet: stylesheet(), title, message: text, error: status >= 400 })));

  /** The interaction this browser is in, matching the URL's; undefined (and an error page sent) otherwise. */
  async function view(req: Request, res: Response): Promise<View | undefined> {
    let details: Details;
    try {
      details = await host.current().interactionDetails(req, res);
    } catch {
      details = undefined as unknown as Details;
    }
    if (!details || details.uid !== req.params.uid) {
      message(res, 400, 'This sign-in has expired', 'This sign-in is no longer valid in this browser. Go back to the application and start again.');
      return undefined;
    }
    const clientId = String(details.params.client_id);
    const client = await host.current().Client.find(clientId);
    const redirect = typeof details.params.redirect_uri === 'string' ? formTarget(details.params.redirect_uri) : undefined;
    return { details, clientId, clientName: client?.clientName ?? clientId, formTargets: redirect ? [redirect] : [], csrf: csrf.token(details.uid) };
  }

  /** The interaction of a form's POST, its CSRF token checked; undefined (and a 403 page sent) when it fails. */
  async function posted(req: Request, res: Response): Promise<View | undefined> {
    const current = await view(req, res);
    if (!current) return undefined;
    if (!csrf.verify(current.details.uid, formField(req.body, CSRF_FIELD))) {
      message(res, 403, 'This form has expired', 'The form was not sent from this page, or it is out of date. Go back and try again.');
      return undefined;
    }
    return current;
  }

  const context = (req: Request, current: View): SignInContext => ({
    clientId: current.clientId,
    ip: req.ip ?? 'unknown',
    userAgent: userAgentOf(req),
    meta: requestMeta(req),
  });

  function signInPage(res: Response, status: number, current: View, options: { email?: string; error?: string } = {}) {
    const uid = current.details.uid;
    const returnTo = `${deps.publicUrl}${path(uid, '/provider-return')}`;
    const providers = deps.externalProviders().map(({ id, name }) => ({
      name,
      href: `/auth/oidc/${encodeURIComponent(id)}/start?redirectTo=${encodeURIComponent(returnTo)}`,
    }));
    const page = SignInPage({
      stylesheet: stylesheet(),
      clientName: current.clientName,
      action: path(uid, '/sign-in'),
      csrf: current.csrf,
      providers,
      passkey: { scripts: passkeyScripts(), optionsUrl: '/auth/passkeys/authentication/options', action: path(uid, '/passkey') },
      ...options,
    });
    sendPage(res, status, renderPage(page), { formTargets: current.formTargets });
  }

  /** `withPasskey`: the account has a passkey (the sign-in's methods list it), so the page offers it. */
  function secondFactorPage(res: Response, status: number, current: View, mfaToken: string, withPasskey: boolean, error?: string) {
    const action = path(current.details.uid, '/second-factor');
    const page = SecondFactorPage({
      stylesheet: stylesheet(),
      clientName: current.clientName,
      action,
      csrf: current.csrf,
      mfaToken,
      error,
      passkey: withPasskey ? { scripts: passkeyScripts(), optionsUrl: '/auth/mfa/passkey/options', action } : undefined,
    });
    sendPage(res, status, renderPage(page), { formTargets: current.formTargets });
  }

  async function consentPage(res: Response, current: View) {
    const accountId = current.details.session?.accountId;
    const user = accountId ? await deps.users.findById(accountId) : null;
    const prompt = current.details.prompt.details as { missingResourceScopes?: Record<string, string[]> };
    const page = ConsentPage({
      stylesheet: stylesheet(),
      clientName: current.clientName,
      action: path(current.details.uid, '/consent'),
      csrf: current.csrf,
      permissions: permissionsOf(requestedScopes(current.details), Object.keys(prompt.missingResourceScopes ?? {})),
      email: user?.email ?? '',
    });
    sendPage(res, 200, renderPage(page), { formTargets: current.formTargets });
  }

  /** A sign-in's outcome: back to the library (which resumes the authorization), or the second-factor page. */
  async function finish(req: Request, res: Response, current: View, outcome: SignInOutcome) {
    if (outcome.kind === 'second-factor-required') return secondFactorPage(res, 200, current, outcome.mfaToken, outcome.methods.includes('passkey'));
    const result = { login: { accountId: outcome.user.id, amr: outcome.amr, remember: true }, serviceSessionId: outcome.sessionId };
    await host.current().interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }

  /** A refused attempt, as the page the person is on: the message, the status, and Retry-After for a 429. */
  function refused(res: Response, error: unknown, render: (status: number, message: string) => void, log: Logger) {
    if (!(error instanceof AppError) || error.status >= 500) throw error;
    if (error.extras.retryAfterSeconds) res.setHeader('Retry-After', String(error.extras.retryAfterSeconds));
    log.info({ event: 'provider.sign-in-page', outcome: 'refused', code: error.code }, 'hosted sign-in refused');
    render(error.status, error.code === 'validation_failed' ? (error.extras.errors?.[0]?.message ?? error.detail) : error.detail);
  }

  const router = Router();

  router.get(
    `${INTERACTION_PATH}/:uid`,
    wrap(async (req, res) => {
      const current = await view(req, res);
      if (!current) return;
      if (current.details.prompt.name === 'consent') return consentPage(res, current);
      const hint = typeof current.details.params.login_hint === 'string' ? current.details.params.login_hint.slice(0, 254) : undefined;
      signInPage(res, 200, current, { email: hint });
    }),
  );

  router.post(
    `${INTERACTION_PATH}/:uid/sign-in`,
    formBody,
    wrap(async (req, res) => {
      const current = await posted(req, res);
      if (!current) return;
      const email = formField(req.body, 'email') ?? '';
      const render = (status: number, error: string) => signInPage(res, status, current, { email, error });
      try {
        const input = LoginBody.safeParse({ email, password: formField(req.body, 'password') ?? '' });
        if (!input.success) return render(400, 'Enter your email address and your password.');
        await finish(req, res, current, await signIn.password(input.data, context(req, current), req.log));
      } catch (error) {
        refused(res, error, render, req.log);
      }
    }),
  );

  router.post(
    `${INTERACTION_PATH}/:uid/second-factor`,
    formBody,
    wrap(async (req, res) => {
      const current = await posted(req, res);
      if (!current) return;
      const mfaToken = formField(req.body, 'mfaToken') ?? '';
      const code = formField(req.body, 'code');
      const recoveryCode = formField(req.body, 'recoveryCode');
      const passkey = jsonField(req.body, 'passkey');
      // Which methods the page offered is not a secret: the button only shows what the sign-in listed.
      const withPasskey = formField(req.body, 'withPasskey') === '1' || passkey !== undefined;
      try {
        const input = MfaVerifyBody.safeParse({
          mfaToken,
          ...(code !== undefined ? { code } : {}),
          ...(recoveryCode !== undefined ? { recoveryCode } : {}),
          ...(passkey !== undefined ? { passkey } : {}),
        });
        if (!input.success) return secondFactorPage(res, 400, current, mfaToken, withPasskey, 'Enter the 6-digit code from your app, or a recovery code.');
        await finish(req, res, current, await signIn.secondFactor(input.data, context(req, current), req.log));
      } catch (error) {
        // A dead mfaToken means starting over with the password; a wrong code, another try.
        const dead = error instanceof AppError && error.code === 'invalid_mfa_token';
        refused(
          res,
          error,
          (status, text) => (dead ? signInPage(res, status, current, { error: text }) : secondFactorPage(res, status, current, mfaToken, withPasskey, text)),
          req.log,
        );
      }
    }),
  );

  router.post(
    `${INTERACTION_PATH}/:uid/passkey`,
    formBody,
    wrap(async (req, res) => {
      const current = await posted(req, res);
      if (!current) return;
      const render = (status: number, error: string) => signInPage(res, status, current, { error });
      try {
        const input = AuthenticationBody.safeParse({ challengeId: formField(req.body, 'challengeId'), response: jsonField(req.body, 'response') });
        if (!input.success) return render(400, 'The passkey sign-in did not complete. Try again, or use your password.');
        await finish(req, res, current, await signIn.passkey(input.data, context(req, current), req.log));
      } catch (error) {
        refused(res, error, render, req.log);
      }
    }),
  );

  router.post(
    `${INTERACTION_PATH}/:uid/consent`,
    formBody,
    wrap(async (req, res) => {
      const current = await posted(req, res);
      if (!current) return;
      const provider = host.current();
      const { details } = current;
      const decision = formField(req.body, 'decision');
      if (details.prompt.name !== 'consent' || (decision !== 'allow' && decision !== 'deny'))
        return message(res, 400, 'Not a consent', 'Choose Allow or Deny.');
      if (decision === 'deny') {
        await provider.interactionFinished(
          req,
          res,
          { error: 'access_denied', error_description: 'The user denied the request.' },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      const accountId = details.session!.accountId;
      const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId: current.clientId });
      const prompt = details.prompt.details as { missingResourceScopes?: Record<string, string[]> };
      await deps.grants.grantConsented(grant!, requestedScopes(details), Object.keys(prompt.missingResourceScopes ?? {}), requestMeta(req));
      await provider.interactionFinished(req, res, { consent: { grantId: grant!.jti } }, { mergeWithLastSubmission: true });
    }),
  );

  router.get(
    `${INTERACTION_PATH}/:uid/provider-return`,
    wrap(async (req, res) => {
      const current = await view(req, res);
      if (!current) return;
      const code = typeof req.query.code === 'string' ? req.query.code : undefined;
      const render = (status: number, error: string) => signInPage(res, status, current, { error });
      if (!code) return render(400, 'The sign-in with the other provider did not complete. Try again, or use your password.');
      try {
        await finish(req, res, current, await signIn.externalProvider(code, context(req, current), req.log));
      } catch (error) {
        refused(res, error, render, req.log);
      }
    }),
  );

  return router;
}
