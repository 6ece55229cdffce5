/**
 * The session use cases: refresh (rotation, reuse detection), logout, logout everywhere, the
 * caller's session list and revoking one of them. Knows nothing of HTTP. A session is opened only
 * by the sign-in pipeline (sign-in/sign-in-pipeline.ts); the rule of a live one is tables/sessions.ts's.
 */
import type { Logger } from '../logger';
import { AppError } from '../errors';
import type { Authenticated } from '../domain/user';
import type { RequestMeta } from '../domain/audit';
import type { Transactions } from '../db/transaction';
import type { SessionsTable, SessionSummary } from '../tables/sessions';
import type { AuditLog } from '../audit/audit-log';
import type { AccessTokens } from '../tokens/access-tokens';
import { tokenGrant, type TokenGrant } from '../tokens/token-grant';

export interface SessionServiceDeps {
  transaction: Transactions;
  sessions: SessionsTable;
  audit: AuditLog;
  tokens: AccessTokens;
}

const INVALID_REFRESH = 'The refresh token is invalid, expired or revoked.';

export class SessionService {
  constructor(private readonly deps: SessionServiceDeps) {}

  async refresh(refreshToken: string, log: Logger, meta?: RequestMeta): Promise<TokenGrant> {
    const result = await this.deps.sessions.rotate(refreshToken, meta, this.deps.audit.rowReactions('reuse_event'));
    if (result.kind === 'rejected') {
      const level = result.reason === 'reused' ? 'warn' : 'info';
      log[level]({ event: 'auth.refresh', outcome: 'failure', reason: result.reason, userId: result.userId, sessionId: result.sessionId }, 'refresh refused');
      throw new AppError('invalid_refresh_token', INVALID_REFRESH);
    }
    log.info({ event: 'auth.refresh', outcome: 'success', userId: result.userId, sessionId: result.sessionId }, 'tokens refreshed');
    return tokenGrant(this.deps.tokens, result);
  }

  async logout(refreshToken: string, log: Logger, meta?: RequestMeta): Promise<void> {
    const { sessions, audit, transaction } = this.deps;
    const revoked = await transaction(async (tx) => {
      const session = await sessions.in(tx).revokeByToken(refreshToken, 'logout');
      if (session) await audit.in(tx).record({ type: 'user.logout', userId: session.userId, meta, data: { sessionId: session.sessionId } });
      return session;
    });
    log.info({ event: 'auth.logout', outcome: revoked ? 'success' : 'no-session' }, 'logout');
  }

  async logoutAll(auth: Authenticated, log: Logger, meta?: RequestMeta): Promise<void> {
    const { sessions, audit, transaction } = this.deps;
    const count = await transaction(async (tx) => {
      const revoked = await sessions.in(tx).revokeAllOfUser(auth.user.id, 'logout-all');
      await audit.in(tx).record({ type: 'user.logout', userId: auth.user.id, meta, data: { all: true, sessions: revoked } });
      return revoked;
    });
    log.info({ event: 'auth.logout-all', outcome: 'success', userId: auth.user.id, sessions: count }, 'all sessions revoked');
  }

  /** The caller's live sessions, newest first. */
  list(auth: Authenticated): Promise<SessionSummary[]> {
    return this.deps.sessions.listLive(auth.user.id);
  }

  /** Revokes one of the caller's sessions (DELETE /auth/sessions/{id}); 404 when it is not a live one of theirs. */
  async revoke(auth: Authenticated, sessionId: string, log: Logger, meta?: RequestMeta): Promise<void> {
    const { sessions, audit, transaction } = this.deps;
    const own = sessionId === auth.sessionId;
    const revoked = await transaction(async (tx) => {
      if (!(await sessions.in(tx).revokeOne(auth.user.id, sessionId, 'session-revoked'))) return false;
      await audit.in(tx).record({ type: 'session.revoked', userId: auth.user.id, meta, data: { sessionId, own } });
      return true;
    });
    if (!revoked) throw new AppError('not_found', 'No such session.');
    log.info({ event: 'auth.session-revoke', outcome: 'success', userId: auth.user.id, sessionId, own }, 'session revoked');
  }
}
