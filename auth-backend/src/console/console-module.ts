/**
 * The wiring of the admin console (the contract's "Admin console": users, audit log, apps, webhooks): server-rendered pages under
 * PUBLIC_URL/console on the same template layer, headers, CSRF and assets as the provider's hosted
 * pages (web/), signing its user in through the service's own provider (its built-in client is
 * made at start-up), and acting only through the services the admin API calls. The composition
 * root calls composeConsole once and mounts its router with the other pages.
 */
import type { RequestHandler } from 'express';
import type { Config } from '../config/config';
import type { Logger } from '../logger';
import type { Worker } from '../lifecycle';
import type { SessionsTable } from '../tables/sessions';
import type { AdminService } from '../admin/admin-service';
import type { ProviderModule } from '../provider/provider-module';
import type { WebhookService } from '../webhooks/webhook-service';
import { Assets } from '../web/assets';
import { CsrfTokens } from '../web/csrf';
import { ConsoleCookies } from './console-cookies';
import { ConsoleSignIn } from './console-sign-in';
import { ConsoleClient } from './console-client';
import { ConsoleAccess } from './console-access';
import { consoleRoutes } from './console-routes';
import { userRoutes } from './user-routes';
import { auditRoutes } from './audit-routes';
import { appRoutes } from './app-routes';
import { webhookRoutes } from './webhook-routes';

export interface ConsoleModuleDeps {
  config: Config;
  logger: Logger;
  sessions: SessionsTable;
  admin: AdminService;
  provider: ProviderModule;
  webhooks: WebhookService;
}

export interface ConsoleModule {
  /** Mounted with the other pages, before the JSON body parser. */
  router: RequestHandler;
  workers: Worker[];
}

export function composeConsole({ config, logger, sessions, admin, provider, webhooks }: ConsoleModuleDeps): ConsoleModule {
  const issuer = config.oidc.publicUrl;
  // The same assets (hashed names) and CSRF keys as the provider's pages: the provider module serves the assets.
  const assets = new Assets();
  const cookies = new ConsoleCookies(config.keys, issuer.startsWith('https:'));
  const signIn = new ConsoleSignIn({ issuer, sessionBehind: (token) => provider.sessionBehind(token) });
  const access = new ConsoleAccess({ cookies, signIn, sessions, admin, csrf: new CsrfTokens(config.keys), assets });
  const router = consoleRoutes({
    access,
    cookies,
    signIn,
    issuer,
    logger,
    sections: [
      userRoutes({ access, admin, sessionsOf: (userId) => sessions.listLive(userId) }),
      auditRoutes({ access, admin }),
      appRoutes({ access, clients: provider.clients, cookies }),
      webhookRoutes({ access, webhooks, cookies }),
    ],
  });
  return { router, workers: [new ConsoleClient(provider.clients, issuer, logger)] };
}
