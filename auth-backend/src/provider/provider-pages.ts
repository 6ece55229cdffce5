/**
 * The pages oidc-provider renders through us (its error page, the logout confirmation and its
 * end, the device flow's pages), written into the library's Koa context with the same layout and
 * headers as every other page (web/).
 */
import type { VNode } from 'preact';
import type { Assets } from '../web/assets';
import { contentSecurityPolicy, formTarget, type PagePolicy } from '../web/page-headers';
import { renderPage } from '../web/layout';
import type { ProviderContext } from './provider-library';
import type { ProviderPageSources } from './provider-configuration';
import { MessagePage } from './pages/message-page';
import { LogoutPage } from './pages/logout-page';
import { DeviceConfirmPage, DeviceEntryPage } from './pages/device-pages';

/** Writes a page into the library's response. */
export function sendKoaPage(ctx: ProviderContext, status: number, page: VNode, policy: PagePolicy = {}): void {
  ctx.status = status;
  ctx.set('Content-Security-Policy', contentSecurityPolicy(policy));
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = renderPage(page);
}

/** Titles of the library's errors that a person may meet, in words; anything else is shown by its description. */
const ERROR_TITLES: Record<string, string> = {
  invalid_redirect_uri: 'This application is not set up correctly',
  invalid_client: 'Unknown application',
  invalid_request: 'This sign-in request is not valid',
  access_denied: 'Access denied',
  login_required: 'Sign-in required',
  session_not_found: 'This sign-in has expired',
};

export function providerPageSources(assets: Assets): ProviderPageSources {
  const stylesheet = () => assets.stylesheetHref;
  return {
    renderError: (ctx, out) => {
      const context = ctx as unknown as ProviderContext;
      const status = context.status >= 400 ? context.status : 400;
      const title = ERROR_TITLES[out.error] ?? 'Something went wrong';
      const message = `${out.error_description ?? out.error}. Go back to the application and start again.`;
      sendKoaPage(context, status, MessagePage({ stylesheet: stylesheet(), title, message, error: true }));
    },
    logoutSource: async (ctx, xsrf) => {
      const state = ctx.oidc.session?.state as { postLogoutRedirectUri?: string } | undefined;
      const target = state?.postLogoutRedirectUri ? formTarget(state.postLogoutRedirectUri) : undefined;
      const action = ctx.oidc.urlFor('end_session_confirm');
      sendKoaPage(ctx, 200, LogoutPage({ stylesheet: stylesheet(), action, xsrf, clientName: ctx.oidc.client?.clientName }), {
        formTargets: target ? [target] : [],
      });
    },
    postLogoutSuccessSource: async (ctx) =>
      sendKoaPage(ctx, 200, MessagePage({ stylesheet: stylesheet(), title: 'Signed out', message: 'You are signed out. You can close this window.' })),
    userCodeInputSource: async (ctx, xsrf, error) => {
      const action = ctx.oidc.urlFor('code_verification');
      sendKoaPage(ctx, error ? 400 : 200, DeviceEntryPage({ stylesheet: stylesheet(), action, xsrf, error }));
    },
    userCodeConfirmSource: async (ctx, xsrf, clientName, userCode) => {
      const action = ctx.oidc.urlFor('code_verification');
      sendKoaPage(ctx, 200, DeviceConfirmPage({ stylesheet: stylesheet(), action, xsrf, clientName, userCode }));
    },
    successSource: async (ctx) =>
      sendKoaPage(
        ctx,
        200,
        MessagePage({ stylesheet: stylesheet(), title: 'Device connected', message: 'Your device is signed in. You can close this window.' }),
      ),
  };
}
