/**
 * The browser's provider session and the service session it rides on (hosted sign-in). A hosted
 * sign-in opens a service session through the pipeline; when the library resumes the
 * authorization, the provider session is bound to it (tables/provider-state.ts: bound state counts
 * only while that session is live). An app renewing its tokens through it counts as a use of that
 * session (its idle timeout starts again). A confirmed RP-initiated logout ends that service session too,
 * as a logout (user.logout event, in its transaction).
 */
import type { Transactions } from '../db/transaction';
import type { AuditLog } from '../audit/audit-log';
import type { SessionsTable } from '../tables/sessions';
import type { ProviderStateTable } from '../tables/provider-state';
import type { Logger } from '../logger';
import type { RequestMeta } from '../domain/audit';

export interface ProviderSessionsDeps {
  transaction: Transactions;
  state: ProviderStateTable;
  sessions: SessionsTable;
  audit: AuditLog;
}

export class ProviderSessions {
  constructor(private readonly deps: ProviderSessionsDeps) {}

  async signedIn(uid: string, sessionId: string): Promise<void> {
    await this.deps.state.bind(uid, sessionId);
  }

  /** The app's tokens were renewed through provider session `uid`: its service session counts as used. */
  async used(uid: string): Promise<void> {
    await this.deps.sessions.markUsedByProviderSession(uid);
  }

  async loggedOut(uid: string, log: Logger, meta?: RequestMeta): Promise<void> {
    const { transaction, state, sessions, audit } = this.deps;
    const bound = await state.boundSession(uid);
    if (!bound) return;
    const ended = await transaction(async (tx) => {
      if (!(await sessions.in(tx).revokeOne(bound.userId, bound.sessionId, 'logout'))) return false;
      await audit.in(tx).record({ type: 'user.logout', userId: bound.userId, meta, data: { sessionId: bound.sessionId, via: 'end_session' } });
      return true;
    });
    log.info({ event: 'provider.logout', userId: bound.userId, sessionId: bound.sessionId, ended }, 'provider logout ended the service session');
  }
}
