import { z } from '../http/zod';
import { PASSWORD_MAX_LENGTH } from '../passwords/password-policy';
import { emailAddressProblem } from '../users/email-address';
import { UserSchema } from '../users/user-body';

/** Emails are trimmed and lower-cased before validation, storage and comparison. */
const email = z
  .string({ error: 'is required' })
  .trim()
  .toLowerCase()
  .max(254, 'must be at most 254 characters')
  .pipe(
    z.email({ error: 'must be a valid email address' }).superRefine((address, ctx) => {
      const problem = emailAddressProblem(address);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  )
  .openapi({ example: 'ada@example.com', format: 'email' });

/** Length and blocklist rules for new passwords live in password-policy.ts (clear 400 reasons). */
const newPassword = z.string({ error: 'is required' }).openapi({ minLength: 8, maxLength: PASSWORD_MAX_LENGTH, example: 'correct horse battery staple' });
/** A login attempt with an absurd length is a bad request, not a bcrypt job. */
const presentedPassword = z
  .string({ error: 'is required' })
  .min(1, 'is required')
  .max(1024, 'is too long')
  .openapi({ example: 'correct horse battery staple' });

export const RegisterBody = z
  .strictObject({
    email,
    password: newPassword,
    name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').nullable().optional(),
  })
  .openapi('RegisterRequest');

export const LoginBody = z.strictObject({ email, password: presentedPassword }).openapi('LoginRequest');
export const ChangePasswordBody = z.strictObject({ currentPassword: presentedPassword, newPassword }).openapi('ChangePasswordRequest');

export const MeResponse = z.object({ user: UserSchema }).openapi('MeResponse');
