/**
 * The API's `User` (docs/api.md): the one mapping from the domain's User (tables/users.ts
 * reads it from its row) to what a client sees.
 */
import { z } from '../http/zod';
import type { User } from '../domain/user';

/** What a client may see of a user: never a password hash, by construction. */
export const UserSchema = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    email: z.string().openapi({ format: 'email' }),
    name: z.string().nullable(),
    createdAt: z.iso.datetime().openapi({ description: 'ISO 8601, UTC' }),
    emailVerified: z.boolean().openapi({ description: 'Whether the user proved control of `email` (a verification link or a password reset)' }),
    mfaEnabled: z.boolean().openapi({ description: 'Whether the user has an active second factor (TOTP): a sign-in then asks for it' }),
  })
  .openapi('User');

/** A user's response shape; the response schema that contains it strips anything else. */
export function toUserBody(user: User): z.input<typeof UserSchema> {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    createdAt: user.createdAt.toISOString(),
    emailVerified: user.emailVerifiedAt !== null,
    mfaEnabled: user.mfaEnabled,
  };
}
