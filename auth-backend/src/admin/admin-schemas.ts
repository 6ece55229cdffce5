import { z } from '../http/zod';
import { AUDIT_EVENT_TYPES, type AuditEvent } from '../domain/audit';
import type { AdminUser } from '../domain/user';
import { UserSchema, toUserBody } from '../users/user-body';

const limit = z
  .string()
  .regex(/^\d{1,3}$/, 'must be a whole number from 1 to 100')
  .transform(Number)
  .refine((n) => n >= 1 && n <= 100, 'must be a whole number from 1 to 100')
  .optional()
  .openapi({ type: 'integer', minimum: 1, maximum: 100, default: 50 });
const cursor = z.string().max(200).optional().openapi({ description: 'The `nextCursor` of the previous page' });

export const UserListQuery = z.strictObject({
  search: z
    .string()
    .trim()
    .max(254)
    .regex(/^[^\x00-\x1f\x7f]*$/, 'must not contain control characters')
    .optional()
    .openapi({ description: 'Case-insensitive substring of the email or the name' }),
  limit,
  cursor,
});

export const AuditQuery = z.strictObject({
  userId: z.uuid().optional().openapi({ description: 'Only events about this user' }),
  type: z.enum(AUDIT_EVENT_TYPES).optional(),
  limit,
  cursor,
});

export const UserIdParams = z.object({ id: z.string().openapi({ format: 'uuid', description: 'A user id' }) });

export const AdminUserSchema = UserSchema.extend({
  role: z.enum(['user', 'admin']),
  disabled: z.boolean(),
  lastSignInAt: z.iso.datetime().nullable(),
  identities: z.array(z.string()).openapi({ description: 'Provider ids of the external identities linked to the account' }),
  passkeys: z.number().int().nonnegative().openapi({ description: 'How many passkeys the account has' }),
}).openapi('AdminUser');

export const AdminUserResponse = z.object({ user: AdminUserSchema }).openapi('AdminUserResponse');
export const AdminUserList = z.object({ users: z.array(AdminUserSchema), nextCursor: z.string().nullable() }).openapi('AdminUserList');

export const AdminUserPatch = z
  .strictObject({
    role: z.enum(['user', 'admin']).optional(),
    disabled: z.boolean().optional(),
    emailVerified: z.boolean().optional(),
    name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').nullable().optional(),
  })
  .openapi('AdminUserPatch');

const AuditEventSchema = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    type: z.enum(AUDIT_EVENT_TYPES),
    at: z.iso.datetime(),
    userId: z.string().nullable(),
    actorId: z.string().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    requestId: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
  })
  .openapi('AuditEvent');

export const AuditEventList = z.object({ events: z.array(AuditEventSchema), nextCursor: z.string().nullable() }).openapi('AuditEventList');

export const toAdminUserBody = (user: AdminUser): z.input<typeof AdminUserSchema> => ({
  ...toUserBody(user),
  role: user.role,
  disabled: user.disabledAt !== null,
  lastSignInAt: user.lastSignInAt?.toISOString() ?? null,
  identities: user.identities,
  passkeys: user.passkeys,
});

export const toAuditEventBody = (event: AuditEvent): z.input<typeof AuditEventSchema> => ({ ...event, at: event.at.toISOString() });
