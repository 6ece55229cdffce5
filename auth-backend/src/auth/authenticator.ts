/** Bearer authentication: the user and live session behind an access token, or a 401 AppError. */
import type { Logger } from '../logger';
import { AppError } from '../errors';
import type { Authenticated } from '../domain/user';
import type { SessionsTable } from '../tables/sessions';
import { InvalidAccessToken, type AccessTokens } from '../tokens/access-tokens';

export class Authenticator {
  constructor(private readonly deps: { tokens: AccessTokens; sessions: SessionsTable }) {}

  async authenticate(accessToken: string | undefined, log: Logger): Promise<Authenticated> {
    if (!accessToken) throw new AppError('unauthenticated', 'A bearer access token is required.');
    let claims;
    try {
      claims = await this.deps.tokens.verify(accessToken);
    } catch (error) {
      log.info({ event: 'auth.token', outcome: 'failure', reason: error instanceof InvalidAccessToken ? error.message : 'invalid' }, 'access token refused');
      throw new AppError('unauthenticated', 'The access token is invalid or expired.');
    }
    // The one live-session rule (tables/sessions.ts), and the user, in one statement.
    const caller = await this.deps.sessions.findLive(claims.sub, claims.sid, claims.amr);
    if (!caller) {
      log.info({ event: 'auth.token', outcome: 'failure', reason: 'session-over-or-user-gone', userId: claims.sub }, 'access token refused');
      throw new AppError('unauthenticated', 'The access token is no longer valid.');
    }
    return caller;
  }
}
