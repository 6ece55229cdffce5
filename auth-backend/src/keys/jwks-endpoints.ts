import { endpoint, type AnyEndpoint } from '../http/endpoint';
import { z } from '../http/zod';
import type { KeyRing } from './key-ring';

const JwkSchema = z
  .object({
    kty: z.enum(['EC', 'RSA']),
    kid: z.string().openapi({ description: 'The `kid` in the header of the tokens this key signs' }),
    alg: z.enum(['ES256', 'RS256']),
    use: z.literal('sig'),
    crv: z.string().optional(),
    x: z.string().optional(),
    y: z.string().optional(),
    n: z.string().optional(),
    e: z.string().optional(),
  })
  .openapi('Jwk');

export const JwksResponse = z.object({ keys: z.array(JwkSchema) }).openapi('JwkSet', { description: 'RFC 7517 JWK Set: public keys only' });

/**
 * The key ring's public keys, in every mode (v4): with HS256 the JSON API's access tokens are
 * signed with JWT_SECRET, and these keys sign what the OpenID Provider issues (its jwks_uri).
 */
export function jwksEndpoints(ring: KeyRing, maxAgeSeconds: number): AnyEndpoint[] {
  return [
    endpoint({
      method: 'get',
      path: '/.well-known/jwks.json',
      operationId: 'jwks',
      summary: 'Public keys that verify access tokens (JWK Set)',
      description:
        "Every key that may have signed a still-valid token (access tokens with ES256/RS256, and the OpenID Provider's ID tokens and JWT access tokens in every mode), and the next signing key once it is published. " +
        'Pick the key by the token header `kid`; a token whose `kid` is not listed is not ours (or its key was retired or revoked).',
      tag: 'keys',
      success: { status: 200, description: 'The JWK Set; cacheable for Cache-Control max-age seconds', schema: JwksResponse },
      successHeaders: ['Cache-Control'],
      failures: [],
      handle: async ({ res }) => {
        res.setHeader('Cache-Control', `public, max-age=${maxAgeSeconds}`);
        return JwksResponse.parse(ring.jwks());
      },
    }),
  ];
}
