/** The token response of docs/api.md's JSON API (register, login, refresh, every sign-in door). */
import { z } from '../http/zod';
import { toUserBody, UserSchema } from '../users/user-body';
import type { TokenGrant } from './token-grant';

export const TokenResponse = z
  .object({
    user: UserSchema,
    accessToken: z.string().openapi({ description: 'JWT (typ at+jwt), signed with JWT_ALGORITHM' }),
    refreshToken: z.string().openapi({ description: 'Opaque; rotated on every refresh' }),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().openapi({ description: 'Access token lifetime in seconds', example: 900 }),
  })
  .openapi('TokenResponse');

export const tokenBody = (grant: TokenGrant) => TokenResponse.parse({ ...grant, user: toUserBody(grant.user) });
