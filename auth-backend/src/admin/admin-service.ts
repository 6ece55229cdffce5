/**
 * The administrators' use cases (GET/PATCH/DELETE /admin/users..., GET /admin/audit). Knows
 * nothing of HTTP. The caller's role is read from the database on every call (requireAdmin), so a
 * demotion acts on the next request and a promotion works with the tokens the user has.
 */
import { AppError } from '../errors';
import type { Transactions } from '../db/transaction';
import type { AdminUser, Authenticated } from '../domain/user';
import type { AuditEvent, AuditEventType, RequestMeta } from '../domain/audit';
import type { AdminChanges, UsersTable } from '../tables/users';
import type { SessionsTable } from '../tables/sessions';
import type { AuditLog } from '../audit/audit-log';
import type { AuditEventsTable } from '../tables/audit-events';
import type { AccountDeletion } from '../account/account-deletion';
import type { Cursors } from './cursor';

export interface AdminServiceDeps {
  transaction: Transactions;
  users: UsersTable;
  sessions: SessionsTable;
  audit: AuditLog;
  /** The audit log's table, for the admin list. */
  auditEvents: AuditEventsTable;
  deletion: AccountDeletion;
  /** Removes the user's second factor as support (mfa/mfa-service.ts, resetByAdmin); false when there is none. */
  resetSecondFactor: (userId: string, actorId: string, meta?: RequestMeta) => Promise<boolean>;
  /** The lists' cursors (authenticated: a cursor the service did not issue for that list is a 400). */
  cursors: Cursors;
  /** ADMIN_REQUIRE_MFA: admin calls need a token of a sign-in with a second factor. */
  requireMfa: boolean;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const noSuchUser = () => new AppError('not_found', 'No such user.');

export class AdminService {
  constructor(private readonly deps: AdminServiceDeps) {}

  /** 403 unless the caller is an administrator now (and, with ADMIN_REQUIRE_MFA, signed in with a second factor). */
  async requireAdmin(auth: Authenticated): Promise<void> {
    if ((await this.deps.users.roleOf(auth.user.id)) !== 'admin') throw new AppError('forbidden', 'This needs an administrator.');
    if (this.deps.requireMfa && !auth.amr.some((method) => method === 'otp' || method === 'mfa'))
      throw new AppError('mfa_required', 'Administration needs a sign-in with a second factor.');
  }

  async listUsers(query: { search?: string; limit: number; cursor?: string }): Promise<Page<AdminUser>> {
    const position = this.deps.cursors.decode('users', query.cursor);
    const items = await this.deps.users.list({
      search: query.search,
      limit: query.limit,
      before: position && { createdAt: position.at, id: position.id },
    });
    return { items, nextCursor: this.deps.cursors.next('users', items, query.limit, (user) => ({ at: user.createdAt, id: user.id })) };
  }

  async getUser(id: string): Promise<AdminUser> {
    const user = UUID.test(id) ? await this.deps.users.findAdminView(id) : null;
    if (!user) throw noSuchUser();
    return user;
  }

  /** Applies the changes; disabling revokes every session of the user in the same transaction. */
  async updateUser(actor: Authenticated, id: string, changes: AdminChanges, meta: RequestMeta): Promise<AdminUser> {
    if (!UUID.test(id)) throw noSuchUser();
    const { transaction, users, sessions, audit } = this.deps;
    const updated = await transaction(async (tx) => {
      const user = await users.in(tx).applyAdminChanges(id, changes, new Date());
      if (!user) return null;
      const revokedSessions = changes.disabled ? await sessions.in(tx).revokeAllOfUser(id, 'account-disabled') : 0;
      await audit.in(tx).record({
        type: 'admin.user_updated',
        userId: id,
        actorId: actor.user.id,
        meta,
        // The fields changed and the new role/state; never the name or an address.
        data: {
          fields: Object.keys(changes).sort(),
          ...(changes.role ? { role: changes.role } : {}),
          ...(changes.disabled !== undefined ? { disabled: changes.disabled, revokedSessions } : {}),
          ...(changes.emailVerified !== undefined ? { emailVerified: changes.emailVerified } : {}),
        },
      });
      return user;
    });
    if (!updated) throw noSuchUser();
    return updated;
  }

  async signOut(actor: Authenticated, id: string, meta: RequestMeta): Promise<void> {
    if (!UUID.test(id)) throw noSuchUser();
    const { transaction, users, sessions, audit } = this.deps;
    const found = await transaction(async (tx) => {
      if (!(await users.in(tx).findById(id))) return false;
      const revokedSessions = await sessions.in(tx).revokeAllOfUser(id, 'admin-sign-out');
      await audit.in(tx).record({ type: 'admin.user_signed_out', userId: id, actorId: actor.user.id, meta, data: { revokedSessions } });
      return true;
    });
    if (!found) throw noSuchUser();
  }

  /** DELETE /admin/users/{id}/mfa: the factor and its recovery codes removed, whether it was active or pending; 404 for an unknown user. */
  async resetSecondFactor(actor: Authenticated, id: string, meta: RequestMeta): Promise<void> {
    if (!UUID.test(id) || !(await this.deps.users.findById(id))) throw noSuchUser();
    await this.deps.resetSecondFactor(id, actor.user.id, meta);
  }

  async deleteUser(actor: Authenticated, id: string, meta: RequestMeta): Promise<void> {
    if (!UUID.test(id) || !(await this.deps.deletion.erase(id, { actorId: actor.user.id, meta }))) throw noSuchUser();
  }

  async listAudit(query: { userId?: string; type?: AuditEventType; limit: number; cursor?: string }): Promise<Page<AuditEvent>> {
    const before = this.deps.cursors.decode('audit', query.cursor);
    const items = await this.deps.auditEvents.list({ userId: query.userId, type: query.type, limit: query.limit, before });
    return { items, nextCursor: this.deps.cursors.next('audit', items, query.limit, (event) => ({ at: event.at, id: event.id })) };
  }
}
