/**
 * The HTTP side of "Sign in with an OpenID Connect provider" (docs/api.md): the browser
 * flow (start, callback: 302s and the binding cookie), the exchange of the one-time code, and the
 * caller's identities.
 */
import type { Response } from 'express';
import { endpoint, type AnyEndpoint, type Redirect } from '../http/endpoint';
import { readCookie } from '../http/cookies';
import { LoginResponse, signInBody } from '../sign-in/sign-in-response';
import type { SignInPipeline } from '../sign-in/sign-in-pipeline';
import { ipLimitHook } from '../throttle/ip-throttle-hook';
import { RATE_LIMIT_HEADER_NAMES } from '../throttle/window-limit';
import type { LoginThrottle } from '../throttle/login-throttle';
import { requestMeta, userAgentOf } from '../http/request-meta';
import type { BrowserStep, OidcSignIn } from './oidc-sign-in';
import type { IdentitiesService } from './identities-service';
import type { ProviderRegistry } from './provider-registry';
import { CallbackQuery, ExchangeBody, IdentitiesResponse, IdentityParams, ProviderParams, ProvidersResponse, StartQuery } from './oidc-schemas';

/** The cookie that binds a sign-in to the browser that started it; it carries the PKCE verifier. */
export const BINDING_COOKIE = 'oidc_binding';

const tag = 'oidc';

export interface OidcEndpointDeps {
  registry: ProviderRegistry;
  signIn: OidcSignIn;
  identities: IdentitiesService;
  pipeline: SignInPipeline;
  throttle: LoginThrottle;
  publicUrl: string;
}

export function oidcEndpoints({ registry, signIn, identities, pipeline, throttle, publicUrl }: OidcEndpointDeps): AnyEndpoint[] {
  const secure = publicUrl.startsWith('https:');
  /** Sent only to the provider's callback, never readable by scripts, and along with the provider's top-level redirect (Lax). */
  const send = (res: Response, providerId: string, step: BrowserStep): Redirect => {
    const options = { httpOnly: true, secure, sameSite: 'lax' as const, path: `/auth/oidc/${providerId}/callback` };
    if (step.binding === 'clear') res.clearCookie(BINDING_COOKIE, options);
    else if (step.binding) res.cookie(BINDING_COOKIE, step.binding.value, { ...options, maxAge: step.binding.maxAgeSeconds * 1000 });
    return { location: step.location };
  };

  return [
    endpoint({
      method: 'get',
      path: '/auth/oidc/providers',
      operationId: 'listOidcProviders',
      summary: 'The OpenID Connect providers one can sign in with',
      tag,
      success: { status: 200, description: 'The configured providers', schema: ProvidersResponse },
      failures: [],
      handle: async () => ({ providers: registry.list().map(({ id, name }) => ({ id, name })) }),
    }),
    endpoint({
      method: 'get',
      path: '/auth/oidc/{id}/start',
      operationId: 'startOidcSignIn',
      summary: 'Start a sign-in at a provider (browser navigation)',
      description:
        'Redirects to the provider with response_type=code, state, nonce and a PKCE S256 code_challenge, and sets the HttpOnly cookie ' +
        '`oidc_binding` that binds the sign-in to this browser. When the provider cannot be reached, redirects to `redirectTo` with ' +
        '`?error=provider_unavailable` instead. Throttled per client IP (each call stores state), like login.',
      tag,
      params: ProviderParams,
      query: StartQuery,
      before: ipLimitHook(throttle)('oidc-start'),
      success: { status: 302, description: "To the provider's authorization endpoint (or back to redirectTo with ?error=)" },
      successHeaders: ['Set-Cookie', ...RATE_LIMIT_HEADER_NAMES],
      failures: [400, 404, 429],
      handle: async ({ req, res, query, log }) => send(res, String(req.params.id), await signIn.start(String(req.params.id), query.redirectTo, log)),
    }),
    endpoint({
      method: 'get',
      path: '/auth/oidc/{id}/callback',
      operationId: 'oidcCallback',
      summary: "The provider's redirect back (browser navigation)",
      description:
        'Checks the state (single use, 10 minutes, bound to the browser by the `oidc_binding` cookie), exchanges the code with the PKCE ' +
        "verifier and validates the ID token (signature from the provider's JWKS, iss, aud, exp, nonce). Then redirects to `redirectTo` " +
        'with `?code=` (a one-time code for POST /auth/oidc/exchange, single use, 60 s), or with `?error=` and one of access_denied, ' +
        'provider_error, provider_unavailable, invalid_response, email_missing, email_not_verified, server_error. A missing, forged, ' +
        'spent or expired state answers 400.',
      tag,
      params: ProviderParams,
      query: CallbackQuery,
      success: { status: 302, description: 'To redirectTo with ?code= or ?error=' },
      successHeaders: ['Set-Cookie'],
      failures: [400, 404],
      handle: async ({ req, res, query, log }) => {
        const providerId = String(req.params.id);
        const at = req.originalUrl.indexOf('?');
        const step = await signIn.callback(
          {
            providerId,
            query: at < 0 ? '' : req.originalUrl.slice(at + 1),
            state: query.state,
            binding: readCookie(req, BINDING_COOKIE),
            userAgent: userAgentOf(req),
            meta: requestMeta(req),
          },
          log,
        );
        return send(res, providerId, step);
      },
    }),
    endpoint({
      method: 'post',
      path: '/auth/oidc/exchange',
      operationId: 'exchangeOidcCode',
      summary: 'Exchange the one-time code of a provider sign-in for a token pair',
      tag,
      body: ExchangeBody,
      success: {
        status: 200,
        description: 'A token pair for a new session (amr ext), or (an account with a second factor) the mfaRequired body',
        schema: LoginResponse,
      },
      failures: [400, 401, 403],
      handle: async ({ body, req, log }) => {
        const attempt = await signIn.exchange(body.code, userAgentOf(req), log, requestMeta(req));
        return signInBody(await pipeline.finishWithTokens(attempt, log));
      },
    }),
    endpoint({
      method: 'get',
      path: '/auth/identities',
      operationId: 'listIdentities',
      summary: "The caller's provider identities",
      tag,
      bearer: true,
      success: { status: 200, description: 'Oldest first', schema: IdentitiesResponse },
      failures: [401],
      handle: async ({ auth }) =>
        IdentitiesResponse.parse({
          identities: (await identities.list(auth)).map(({ id, provider, email, createdAt }) => ({ id, provider, email, createdAt: createdAt.toISOString() })),
        }),
    }),
    endpoint({
      method: 'delete',
      path: '/auth/identities/{id}',
      operationId: 'unlinkIdentity',
      summary: 'Unlink a provider identity',
      description: 'Refused (409 last_sign_in_method) when it is the only way to sign in: no password, no other identity and no passkey.',
      tag,
      bearer: true,
      params: IdentityParams,
      success: { status: 204, description: 'The identity no longer signs in to this account' },
      failures: [401, 404, 409],
      handle: async ({ auth, req, log }) => identities.unlink(auth, String(req.params.id), log),
    }),
  ];
}
