/**
 * The console's own client of the service's OpenID Provider: public (PKCE, no secret), first-party
 * (no consent page), with the console's callback and signed-out pages as its only URIs. Created at
 * start-up when it is missing, and its URIs brought in line when PUBLIC_URL changed, through the
 * same ClientService as POST/PATCH /admin/clients (an oauth.client_* event with no actor, as for
 * `npm run clients:create`). Replicas starting together may race to create it: the loser finds it.
 */
import type { Worker } from '../lifecycle';
import type { Logger } from '../logger';
import type { ClientService } from '../provider/client-service';
import { isUniqueViolation } from '../db/database-errors';

export const CONSOLE_CLIENT_ID = 'admin-console';
export const CONSOLE_CLIENT_NAME = 'Admin console';

export const consoleRedirectUri = (issuer: string) => `${issuer}/console/callback`;
export const consoleSignedOutUri = (issuer: string) => `${issuer}/console/signed-out`;

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((value, index) => value === b[index]);

export class ConsoleClient implements Worker {
  readonly name = 'admin-console-client';

  constructor(
    private readonly clients: ClientService,
    private readonly issuer: string,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const redirectUris = [consoleRedirectUri(this.issuer)];
    const postLogoutRedirectUris = [consoleSignedOutUri(this.issuer)];
    const existing = await this.clients.get(CONSOLE_CLIENT_ID).catch(() => undefined);
    if (!existing) {
      try {
        await this.clients.create(
          { id: CONSOLE_CLIENT_ID, name: CONSOLE_CLIENT_NAME, type: 'public', redirectUris, postLogoutRedirectUris, firstParty: true },
          { actorId: null },
        );
        this.logger.info({ clientId: CONSOLE_CLIENT_ID }, 'admin console: its provider client was created');
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
      return;
    }
    if (!sameList(existing.redirectUris, redirectUris) || !sameList(existing.postLogoutRedirectUris, postLogoutRedirectUris)) {
      await this.clients.update(CONSOLE_CLIENT_ID, { redirectUris, postLogoutRedirectUris }, { actorId: null });
      this.logger.info({ clientId: CONSOLE_CLIENT_ID }, 'admin console: its provider client follows PUBLIC_URL');
    }
  }

  async stop(): Promise<void> {}
}
