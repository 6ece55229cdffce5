/**
 * The JSON API's token pair for a session: a fresh access token (claims sub, sid, amr) beside the
 * session's refresh token. Minted when a sign-in finishes (sign-in/sign-in-pipeline.ts) and at
 * every refresh (sessions/session-service.ts).
 */
import type { AuthMethod, User } from '../domain/user';
import type { AccessTokens } from './access-tokens';

export interface TokenGrant {
  user: User;
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export interface SessionTokens {
  user: User;
  sessionId: string;
  refreshToken: string;
  amr: AuthMethod[];
}

export async function tokenGrant(tokens: AccessTokens, session: SessionTokens): Promise<TokenGrant> {
  const accessToken = await tokens.sign({ sub: session.user.id, sid: session.sessionId, amr: session.amr });
  return { user: session.user, accessToken, refreshToken: session.refreshToken, tokenType: 'Bearer', expiresIn: tokens.ttlSeconds };
}
