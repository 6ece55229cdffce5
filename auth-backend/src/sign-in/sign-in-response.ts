/** The JSON API's answer to a sign-in: a token response, or the mfaRequired body (no tokens). */
import { z } from '../http/zod';
import { TokenResponse, tokenBody } from '../tokens/token-response';
import type { TokenGrant } from '../tokens/token-grant';
import type { SecondFactorRequired } from './sign-in-attempt';

/** A sign-in of an account with an active second factor: no tokens, an mfaToken for POST /auth/mfa/verify. */
export const MfaRequiredResponse = z
  .object({
    mfaRequired: z.literal(true),
    mfaToken: z.string().openapi({ description: 'Opaque; single use, lives 5 minutes, good only for passing the second factor (POST /auth/mfa/verify)' }),
    methods: z
      .array(z.enum(['totp', 'recovery_code', 'passkey']))
      .openapi({ description: 'The ways to pass the second factor: totp and recovery_code, and passkey when the account has one' }),
  })
  .openapi('MfaRequiredResponse');

/** What every JSON sign-in door answers. */
export const LoginResponse = z
  .union([TokenResponse, MfaRequiredResponse])
  .openapi('LoginResponse', { description: 'A token response, or the mfaRequired body (no tokens)' }, { unionPreferredType: 'oneOf' });

export const signInBody = (result: TokenGrant | SecondFactorRequired) =>
  'kind' in result ? MfaRequiredResponse.parse({ mfaRequired: true, mfaToken: result.mfaToken, methods: result.methods }) : tokenBody(result);

/** The token pair of a sign-in that has passed every factor there is (a second factor, a new account). */
export function passedEveryFactor(result: TokenGrant | SecondFactorRequired): TokenGrant {
  if ('kind' in result) throw new Error('a sign-in that passed its second factor was asked for one again');
  return result;
}
