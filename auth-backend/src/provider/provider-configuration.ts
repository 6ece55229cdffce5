/**
 * oidc-provider's configuration: exactly the grants, features and rules of the contract's "The
 * service as an OpenID Provider" section, and nothing else switched on (no dynamic registration,
 * no implicit or hybrid flows, no symmetric signing). Built anew for each signing key
 * (provider-host.ts): the key ring decides which key signs.
 */
import type { KeyObject } from 'node:crypto';
import { inLibraryRealm, providerLibrary, type Library, type OidcProvider, type ProviderConfiguration, type ProviderContext } from './provider-library';
import { CLAIMS_BY_SCOPE } from './provider-accounts';
import { EXTRA_METADATA } from './client-metadata';

/** Where each endpoint is (discovery lists them): under /oidc/, apart from the JSON API's /auth and /admin. */
export const PROVIDER_ROUTES = {
  authorization: '/oidc/auth',
  token: '/oidc/token',
  userinfo: '/oidc/me',
  // The service's one JWK Set (keys/jwks-endpoints.ts): the same keys as every other token of the service.
  jwks: '/.well-known/jwks.json',
  revocation: '/oidc/token/revocation',
  introspection: '/oidc/token/introspection',
  end_session: '/oidc/session/end',
  device_authorization: '/oidc/device/auth',
  code_verification: '/oidc/device',
  pushed_authorization_request: '/oidc/request',
  registration: '/oidc/reg',
  backchannel_authentication: '/oidc/backchannel',
  challenge: '/oidc/challenge',
} as const;

/** The paths the provider answers (the JWK Set is the service's own endpoint). */
export const isProviderPath = (path: string) =>
  path === '/.well-known/openid-configuration' || (path.startsWith('/oidc/') && !path.startsWith('/oidc/interaction/'));

/**
 * The endpoints applications' back ends call (JSON in and out, no page, no form of ours, no hook
 * that needs Express): the front door serves them past Express (http/front-door.ts).
 */
export const MACHINE_PATHS: ReadonlySet<string> = new Set([
  '/.well-known/openid-configuration',
  PROVIDER_ROUTES.token,
  PROVIDER_ROUTES.introspection,
  PROVIDER_ROUTES.revocation,
  PROVIDER_ROUTES.userinfo,
  PROVIDER_ROUTES.device_authorization,
]);

export const INTERACTION_PATH = '/oidc/interaction';

/** The OpenID Connect scopes the provider knows. */
export const OIDC_SCOPES: ReadonlySet<string> = new Set(['openid', 'offline_access', 'profile', 'email']);

/** Scopes a resource (API) accepts in its access tokens: what the user let the application know. */
export const RESOURCE_SCOPES = 'openid profile email';

export interface ProviderTtl {
  /** ACCESS_TOKEN_TTL: access tokens, ID tokens, client_credentials tokens (the key ring keeps keys that long). */
  accessToken: number;
  /** REFRESH_TOKEN_TTL: refresh tokens, grants and browser sessions (a service session lives that long). */
  refreshToken: number;
}

/** The pages the library renders through us (provider-pages.ts). */
export interface ProviderPageSources {
  renderError: NonNullable<ProviderConfiguration['renderError']>;
  logoutSource(ctx: ProviderContext, xsrf: string): Promise<void>;
  postLogoutSuccessSource(ctx: ProviderContext): Promise<void>;
  userCodeInputSource(ctx: ProviderContext, xsrf: string, error?: string): Promise<void>;
  userCodeConfirmSource(ctx: ProviderContext, xsrf: string, clientName: string, userCode: string): Promise<void>;
  successSource(ctx: ProviderContext): Promise<void>;
}

export interface ProviderConfigurationDeps {
  /** KEY_ENCRYPTION_KEY-derived keys that sign the library's cookies (newest first). */
  cookieKeys: string[];
  secureCookies: boolean;
  ttl: ProviderTtl;
  adapter: OidcProvider.AdapterFactory;
  findAccount: OidcProvider.FindAccount;
  loadExistingGrant: NonNullable<ProviderConfiguration['loadExistingGrant']>;
  /** offline_access for first-party clients without prompt=consent (provider-grants.ts). */
  offlineAccessPolicy: (ctx: ProviderContext) => Promise<void>;
  pages: ProviderPageSources;
}

export interface SigningKey {
  kid: string;
  algorithm: 'ES256' | 'RS256';
  key: KeyObject;
}

const SIGNING_ALGORITHMS = ['ES256', 'RS256'];

/**
 * The library's interaction policy, except that a first-party client is never asked for consent
 * (the contract), even when it counts as native (a loopback http redirect URI, as the admin
 * console's own client has when PUBLIC_URL is http://127.0.0.1:PORT): the library's
 * native_client_prompt check would otherwise ask on every sign-in.
 */
function interactionPolicy(): ReturnType<Library['interactionPolicy']['base']> {
  const { interactionPolicy: library } = providerLibrary();
  const policy = library.base();
  const checks = policy.get('consent')!.checks;
  const native = checks.get('native_client_prompt')!;
  checks.remove('native_client_prompt');
  checks.add(
    new library.Check(native.reason, native.description, native.error!, (ctx) =>
      (ctx.oidc.client as unknown as Record<string, unknown> | undefined)?.['first_party'] === true ? library.Check.NO_NEED_TO_PROMPT : native.check(ctx),
    ),
    0,
  );
  return policy;
}

export function providerConfiguration(deps: ProviderConfigurationDeps, signing: SigningKey): ProviderConfiguration {
  const { errors } = providerLibrary();
  const { ttl, pages } = deps;
  const alg = signing.algorithm;
  const privateJwk = { ...signing.key.export({ format: 'jwk' }), kid: signing.kid, alg, use: 'sig' };
  const cookie = { httpOnly: true, sameSite: 'lax' as const, secure: deps.secureCookies, signed: true };
  const configuration: ProviderConfiguration = {
    adapter: deps.adapter,
    clients: [],
    findAccount: deps.findAccount,
    loadExistingGrant: deps.loadExistingGrant,
    jwks: { keys: [privateJwk as OidcProvider.JWK] },
    routes: PROVIDER_ROUTES,
    responseTypes: ['code'],
    scopes: [...OIDC_SCOPES],
    claims: CLAIMS_BY_SCOPE,
    pkce: { required: () => true },
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    clientDefaults: { id_token_signed_response_alg: alg, token_endpoint_auth_method: 'client_secret_basic', grant_types: ['authorization_code'] },
    enabledJWA: {
      idTokenSigningAlgValues: SIGNING_ALGORITHMS,
      userinfoSigningAlgValues: SIGNING_ALGORITHMS,
      introspectionSigningAlgValues: SIGNING_ALGORITHMS,
      authorizationSigningAlgValues: SIGNING_ALGORITHMS,
      clientAuthSigningAlgValues: SIGNING_ALGORITHMS,
      requestObjectSigningAlgValues: SIGNING_ALGORITHMS,
    } as ProviderConfiguration['enabledJWA'],
    extraClientMetadata: { properties: [...EXTRA_METADATA] },
    allowOmittingSingleRegisteredRedirectUri: false,
    // Not a parameter of ours: the library runs this validator on every authorization request, after it has read the scopes.
    extraParams: { offline_access_policy: deps.offlineAccessPolicy },
    cookies: { keys: deps.cookieKeys, long: cookie, short: cookie },
    interactions: { url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}`, policy: interactionPolicy() },
    ttl: {
      AccessToken: ttl.accessToken,
      AuthorizationCode: 60,
      ClientCredentials: ttl.accessToken,
      DeviceCode: 600,
      IdToken: ttl.accessToken,
      Interaction: 3600,
      Grant: ttl.refreshToken,
      RefreshToken: ttl.refreshToken,
      Session: ttl.refreshToken,
    },
    // A single-page application calls the token endpoint from the origin of one of its redirect URIs.
    clientBasedCORS: (_ctx, origin, client) => (client.redirectUris ?? []).some((uri) => new URL(uri).origin === origin),
    renderError: pages.renderError,
    features: {
      devInteractions: { enabled: false },
      // Not in the contract: sender-constrained tokens stay off until a client needs them.
      dPoP: { enabled: false },
      registration: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      // Introspection is for confidential clients (provider-host.ts answers a public one invalid_client).
      introspection: { enabled: true, allowedPolicy: (_ctx, client) => client.clientAuthMethod !== 'none' },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx) => pages.logoutSource(ctx, sessionXsrf(ctx)),
        postLogoutSuccessSource: (ctx) => pages.postLogoutSuccessSource(ctx),
      },
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        mask: '****-****',
        userCodeInputSource: (ctx, _form, _out, error) => pages.userCodeInputSource(ctx, sessionXsrf(ctx), error ? deviceError(error) : undefined),
        userCodeConfirmSource: (ctx, _form, client, _deviceInfo, userCode) =>
          pages.userCodeConfirmSource(ctx, sessionXsrf(ctx), client.clientName ?? client.clientId, userCode),
        successSource: (ctx) => pages.successSource(ctx),
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx, resource, client) => {
          const allowed = (client as unknown as Record<string, unknown>)['allowed_resources'];
          if (!Array.isArray(allowed) || !allowed.includes(resource)) throw new errors.InvalidTarget('this client may not ask for that resource');
          return inLibraryRealm({
            scope: RESOURCE_SCOPES,
            audience: resource,
            accessTokenTTL: ttl.accessToken,
            accessTokenFormat: 'jwt' as const,
            jwt: { sign: { alg } },
          });
        },
      },
    },
  };
  return inLibraryRealm(configuration);
}

/** The CSRF secret oidc-provider keeps in the browser's provider session for its own forms (logout, device). */
const sessionXsrf = (ctx: ProviderContext): string => (ctx.oidc.session?.state as { secret?: string } | undefined)?.secret ?? '';

/** The device flow's re-render errors in words (the library's error classes name the case). */
function deviceError(error: Error): string {
  switch (error.name) {
    case 'NoCodeError':
      return 'Enter the code shown on your device.';
    case 'NotFoundError':
      return 'That code is not valid. Check the code on your device and try again.';
    case 'ExpiredError':
      return 'That code has expired. Start again on your device.';
    case 'AlreadyUsedError':
      return 'That code was already used. Start again on your device.';
    case 'AbortedError':
      return 'The device was not connected.';
    default:
      return 'Something went wrong. Start again on your device.';
  }
}
