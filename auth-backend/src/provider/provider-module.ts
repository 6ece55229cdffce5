/**
 * The wiring of the OpenID Provider feature (the contract's "The service as an OpenID Provider for
 * your own apps"): its tables, the library on top of them, the hosted pages as the second front
 * door of the one sign-in pipeline, client administration and the user's apps. The composition root
 * calls composeProvider once and mounts what it returns.
 */
import { hkdfSync } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Config } from '../config/config';
import type { Database } from '../db/database';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Worker } from '../lifecycle';
import type { AnyEndpoint } from '../http/endpoint';
import { providerStateEnvelope, type KeyEncryptionKeys } from '../crypto/key-encryption';
import type { TokenKeys } from '../keys/token-keys';
import type { UsersTable } from '../tables/users';
import type { SessionsTable } from '../tables/sessions';
import { OAuthClientsTable } from '../tables/oauth-clients';
import { OAuthConsentsTable } from '../tables/oauth-consents';
import { ProviderStateTable } from '../tables/provider-state';
import type { AuditLog } from '../audit/audit-log';
import type { AuthService } from '../auth/auth-service';
import type { MfaVerification } from '../mfa/mfa-verification';
import type { PasskeySignIn } from '../passkeys/passkey-sign-in';
import { PASSKEY_ASSETS } from './pages/passkey-script';
import type { OidcSignIn } from '../oidc/oidc-sign-in';
import type { ProviderRegistry } from '../oidc/provider-registry';
import type { SignInPipeline } from '../sign-in/sign-in-pipeline';
import type { LoginThrottle } from '../throttle/login-throttle';
import type { AdminService } from '../admin/admin-service';
import { Assets } from '../web/assets';
import { CsrfTokens } from '../web/csrf';
import { providerAdapterFactory } from './provider-adapter';
import type { OidcProvider } from './provider-library';
import { findAccount } from './provider-accounts';
import { ProviderGrants, keepOfflineAccessForFirstParty } from './provider-grants';
import { providerConfiguration } from './provider-configuration';
import { providerPageSources } from './provider-pages';
import { ProviderHost } from './provider-host';
import { ProviderSessions } from './provider-sessions';
import { HostedSignIn } from './hosted-sign-in';
import { interactionRoutes } from './interaction-routes';
import { deviceForm } from './device-form';
import { ClientService } from './client-service';
import { ClientCache } from './client-cache';
import { clientEndpoints } from './client-endpoints';
import { AppsService } from './apps-service';
import { appsEndpoints } from './apps-endpoints';
import { ProviderCleanup } from './provider-cleanup';
import { requestMeta } from '../http/request-meta';

export interface ProviderModuleDeps {
  config: Config;
  db: Database;
  clock: Clock;
  logger: Logger;
  users: UsersTable;
  sessions: SessionsTable;
  audit: AuditLog;
  /** The key ring (whatever JWT_ALGORITHM is): it signs ID tokens and JWT access tokens. */
  ring: TokenKeys;
  auth: AuthService;
  mfaVerification: MfaVerification;
  oidc: { registry: ProviderRegistry; signIn: OidcSignIn };
  /** The passkey door (passkeys/): the sign-in page's passkey button and autofill. */
  passkeys: PasskeySignIn;
  pipeline: SignInPipeline;
  throttle: LoginThrottle;
  admin: AdminService;
}

export interface ProviderModule {
  host: ProviderHost;
  clients: ClientService;
  apps: AppsService;
  tables: { clients: OAuthClientsTable; consents: OAuthConsentsTable; state: ProviderStateTable };
  endpoints: AnyEndpoint[];
  /** Express handlers mounted before the JSON body parser: assets, the hosted pages, the library. */
  routers: RequestHandler[];
  workers: Worker[];
  /**
   * The service session an access token of the provider was issued through (the browser's provider
   * session it came with is bound to it): how a first-party client of the service itself (the admin
   * console) rides on that session. Undefined when the token or that session is not live.
   */
  sessionBehind(accessToken: string): Promise<{ userId: string; sessionId: string } | undefined>;
}

/** Keys derived from KEY_ENCRYPTION_KEY (and _PREVIOUS) for one purpose: no new secret to configure. */
const derivedKeys = (keys: KeyEncryptionKeys, info: string): string[] =>
  [keys.encryptionKey, ...(keys.previousEncryptionKey ? [keys.previousEncryptionKey] : [])].map((secret) =>
    Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'auth-backend', info, 32)).toString('base64url'),
  );

export function composeProvider(deps: ProviderModuleDeps): ProviderModule {
  const { config, db, clock, logger, audit } = deps;
  const { transaction } = db;
  const tables = {
    clients: new OAuthClientsTable(db.pool),
    consents: new OAuthConsentsTable(db.pool),
    state: new ProviderStateTable(db.pool, clock, config.refresh.idleTtl),
  };
  const clientCache = new ClientCache<OidcProvider.AdapterPayload>({ listenConnection: db.dedicatedClient, clock });
  const assets = new Assets(PASSKEY_ASSETS);
  const csrf = new CsrfTokens(config.keys);
  const grants = new ProviderGrants({ transaction, consents: tables.consents, audit, clock });
  const sessions = new ProviderSessions({ transaction, state: tables.state, sessions: deps.sessions, audit });
  const issuer = config.oidc.publicUrl;
  const configuration = providerConfiguration.bind(undefined, {
    cookieKeys: derivedKeys(config.keys, 'oidc-provider-cookies/v1'),
    secureCookies: issuer.startsWith('https:'),
    ttl: { accessToken: config.jwt.accessTokenTtl, refreshToken: config.refresh.ttl },
    adapter: providerAdapterFactory({ state: tables.state, clients: tables.clients, clientCache, envelope: providerStateEnvelope(config.keys), clock }),
    findAccount: findAccount(deps.users),
    loadExistingGrant: grants.loadExistingGrant,
    offlineAccessPolicy: keepOfflineAccessForFirstParty,
    pages: providerPageSources(assets),
  });
  const host = new ProviderHost({
    issuer,
    keys: deps.ring,
    configuration,
    logger,
    hooks: {
      signedIn: (uid, sessionId) => sessions.signedIn(uid, sessionId),
      renewed: (uid) => sessions.used(uid),
      // The library's request is the Express one (Express extends Node's request object in place).
      loggedOut: (uid, ctx) => {
        const req = ctx.req as unknown as Request;
        return sessions.loggedOut(uid, req.log ?? logger, requestMeta(req));
      },
      before: deviceForm(deps.throttle, assets),
    },
  });
  // An erased account leaves nothing with the provider either, in the erasure's own transaction.
  audit.subscribe(
    async (event, tx) => {
      if (event.type === 'user.deleted' && event.userId && tx) await tables.state.in(tx).deleteOfAccount(event.userId);
    },
    ['user.deleted'],
  );
  const signIn = new HostedSignIn({
    auth: deps.auth,
    mfa: deps.mfaVerification,
    oidc: deps.oidc.signIn,
    passkeys: deps.passkeys,
    pipeline: deps.pipeline,
    throttle: deps.throttle,
  });
  const clients = new ClientService({ transaction, clients: tables.clients, state: tables.state, audit, changed: (id) => clientCache.forget(id) });
  const apps = new AppsService({ transaction, consents: tables.consents, state: tables.state, audit });
  const pages = interactionRoutes({
    host,
    signIn,
    grants,
    users: deps.users,
    csrf,
    assets,
    externalProviders: () => deps.oidc.registry.list(),
    publicUrl: issuer,
  });
  return {
    host,
    clients,
    apps,
    tables,
    endpoints: [...clientEndpoints(clients, deps.admin), ...appsEndpoints(apps)],
    // The library first: its token endpoint is the busiest path, and no page or asset path is one of its paths (isProviderPath).
    routers: [host.handler(), assets.routes(), pages],
    workers: [clientCache, host, new ProviderCleanup(tables.state, { intervalSeconds: 600, batch: 1000 }, logger)],
    async sessionBehind(accessToken) {
      const token = await host.current().AccessToken.find(accessToken);
      return token?.sessionUid ? tables.state.boundSession(token.sessionUid) : undefined;
    },
  };
}
