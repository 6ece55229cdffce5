import { z } from '../http/zod';

const SessionSchema = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    createdAt: z.iso.datetime().openapi({ description: 'Login or registration that opened the session, ISO 8601 UTC' }),
    lastUsedAt: z.iso.datetime().openapi({ description: 'Last refresh (authenticated requests do not count), ISO 8601 UTC' }),
    userAgent: z.string().nullable().openapi({ description: 'User-Agent of the login, truncated to 512 characters' }),
    current: z.boolean().openapi({ description: 'True for the session of the access token making this request' }),
  })
  .openapi('Session');

export const SessionsResponse = z.object({ sessions: z.array(SessionSchema) }).openapi('SessionsResponse');

export const SessionIdParams = z.object({ id: z.string().openapi({ format: 'uuid', description: 'A session id from GET /auth/sessions' }) });

const refreshToken = z.string({ error: 'is required' }).min(1, 'is required').max(512, 'is too long').openapi({ example: 'mRk3...opaque...Q8' });
export const RefreshBody = z.strictObject({ refreshToken }).openapi('RefreshRequest');
export const LogoutBody = z.strictObject({ refreshToken }).openapi('LogoutRequest');
