import { z } from '../http/zod';
import { PASSWORD_MAX_LENGTH } from '../passwords/password-policy';
import { LoginBody } from '../auth/auth-schemas';

/** The address rules of login (trimmed, lower-cased, validated) apply to every address here. */
const email = LoginBody.shape.email;
/** Tokens from mail links: 43 base64url characters today; anything absurd is a bad request. */
const mailToken = z
  .string({ error: 'is required' })
  .min(1, 'is required')
  .max(512, 'is too long')
  .openapi({ example: 'mRk3...opaque...Q8', description: 'The `token` query parameter of the link in the mail' });
const newPassword = z.string({ error: 'is required' }).openapi({ minLength: 8, maxLength: PASSWORD_MAX_LENGTH, example: 'correct horse battery staple' });

export const ForgotPasswordBody = z.strictObject({ email }).openapi('ForgotPasswordRequest');
export const ResetPasswordBody = z.strictObject({ token: mailToken, newPassword }).openapi('ResetPasswordRequest');
export const VerifyEmailBody = z.strictObject({ token: mailToken }).openapi('VerifyEmailRequest');
export const ChangeEmailBody = z.strictObject({ newEmail: email, currentPassword: LoginBody.shape.password }).openapi('ChangeEmailRequest');

export const AcceptedResponse = z
  .object({ message: z.string().openapi({ example: 'If the request can be honoured, a mail is on its way.' }) })
  .openapi('AcceptedResponse');
