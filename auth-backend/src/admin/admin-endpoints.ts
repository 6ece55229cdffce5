import { endpoint, type AnyEndpoint, type EndpointContext } from '../http/endpoint';
import { parseInput } from '../http/validate';
import { requestMeta } from '../http/request-meta';
import type { Authenticated } from '../domain/user';
import type { AdminService } from './admin-service';
import {
  AdminUserList,
  AdminUserPatch,
  AdminUserResponse,
  AuditEventList,
  AuditQuery,
  UserIdParams,
  UserListQuery,
  toAdminUserBody,
  toAuditEventBody,
} from './admin-schemas';

/** The HTTP contract of docs/api.md for /admin: every operation re-checks the caller's role. */
export function adminEndpoints(admin: AdminService): AnyEndpoint[] {
  const tag = 'admin';
  // Runs after authentication, before anything else: the role is read from the database now.
  const before = async (ctx: EndpointContext<unknown> & { auth?: Authenticated }) => admin.requireAdmin(ctx.auth!);
  const common = { tag, bearer: true as const, securityScheme: 'adminBearer' as const, before };
  const userId = (params: Record<string, unknown>) => String(params.id);

  return [
    endpoint({
      ...common,
      method: 'get',
      path: '/admin/users',
      operationId: 'adminListUsers',
      summary: 'Users, newest first, optionally searched by email or name',
      query: UserListQuery,
      success: { status: 200, description: 'A page of users and the cursor of the next page (null after the last)', schema: AdminUserList },
      failures: [400, 401, 403],
      handle: async ({ req }) => {
        const query = parseInput(UserListQuery, req.query);
        const page = await admin.listUsers({ search: query.search || undefined, limit: query.limit ?? 50, cursor: query.cursor });
        return AdminUserList.parse({ users: page.items.map(toAdminUserBody), nextCursor: page.nextCursor });
      },
    }),
    endpoint({
      ...common,
      method: 'get',
      path: '/admin/users/{id}',
      operationId: 'adminGetUser',
      summary: 'One user',
      params: UserIdParams,
      success: { status: 200, description: 'The user', schema: AdminUserResponse },
      failures: [401, 403, 404],
      handle: async ({ req }) => AdminUserResponse.parse({ user: toAdminUserBody(await admin.getUser(userId(req.params))) }),
    }),
    endpoint({
      ...common,
      method: 'patch',
      path: '/admin/users/{id}',
      operationId: 'adminUpdateUser',
      summary: 'Change a user’s role, disabled state, email verification or name',
      description: 'Disabling revokes every session at once (refresh 401, /auth/me 401); a correct password then answers 403 account_disabled.',
      params: UserIdParams,
      body: AdminUserPatch,
      success: { status: 200, description: 'The user as changed', schema: AdminUserResponse },
      failures: [400, 401, 403, 404],
      handle: async ({ req, body, auth }) =>
        AdminUserResponse.parse({ user: toAdminUserBody(await admin.updateUser(auth, userId(req.params), body, requestMeta(req))) }),
    }),
    endpoint({
      ...common,
      method: 'post',
      path: '/admin/users/{id}/sign-out',
      operationId: 'adminSignOutUser',
      summary: 'Revoke every session of a user',
      params: UserIdParams,
      success: { status: 204, description: 'Every session of the user is revoked' },
      failures: [401, 403, 404],
      handle: async ({ req, auth }) => admin.signOut(auth, userId(req.params), requestMeta(req)),
    }),
    endpoint({
      ...common,
      method: 'delete',
      path: '/admin/users/{id}',
      operationId: 'adminDeleteUser',
      summary: 'Erase a user’s account',
      description: 'The user row, its sessions, tokens, identities, factors and mail; audit events keep the user id and lose the address.',
      params: UserIdParams,
      success: { status: 204, description: 'The account is erased' },
      failures: [401, 403, 404],
      handle: async ({ req, auth }) => admin.deleteUser(auth, userId(req.params), requestMeta(req)),
    }),
    endpoint({
      ...common,
      method: 'delete',
      path: '/admin/users/{id}/mfa',
      operationId: 'adminResetMfa',
      summary: "Remove a user's second factor",
      description:
        'For a user who lost both the authenticator and the recovery codes: the factor and its recovery codes are removed and a notice mail is sent.',
      params: UserIdParams,
      success: { status: 204, description: 'The user has no second factor now' },
      failures: [401, 403, 404],
      handle: async ({ req, auth }) => admin.resetSecondFactor(auth, userId(req.params), requestMeta(req)),
    }),
    endpoint({
      ...common,
      method: 'get',
      path: '/admin/audit',
      operationId: 'adminListAudit',
      summary: 'Audit events, newest first',
      query: AuditQuery,
      success: { status: 200, description: 'A page of events and the cursor of the next page (null after the last)', schema: AuditEventList },
      failures: [400, 401, 403],
      handle: async ({ req }) => {
        const query = parseInput(AuditQuery, req.query);
        const page = await admin.listAudit({ userId: query.userId, type: query.type, limit: query.limit ?? 50, cursor: query.cursor });
        return AuditEventList.parse({ events: page.items.map(toAuditEventBody), nextCursor: page.nextCursor });
      },
    }),
  ];
}
