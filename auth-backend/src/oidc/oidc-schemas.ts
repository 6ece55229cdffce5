import { z } from '../http/zod';

export const ProvidersResponse = z
  .object({
    providers: z.array(z.object({ id: z.string().openapi({ example: 'google' }), name: z.string().openapi({ example: 'Google' }) })),
  })
  .openapi('OidcProvidersResponse');

export const ProviderParams = z.object({ id: z.string().openapi({ example: 'google', description: 'A provider id of GET /auth/oidc/providers' }) });
export const IdentityParams = z.object({ id: z.string().openapi({ format: 'uuid' }) });

export const StartQuery = z
  .object({
    redirectTo: z
      .string({ error: 'is required' })
      .min(1, 'is required')
      .max(2048, 'must be at most 2048 characters')
      .openapi({ example: 'https://app.example.com/signed-in', description: 'Where the browser is sent back; its origin must be in REDIRECT_ALLOWLIST' }),
  })
  .openapi({ description: 'Unknown parameters are ignored' });

const param = (description: string) => z.string().max(4096, 'is too long').optional().openapi({ description });

/** What a provider sends back (RFC 6749 4.1.2); other parameters (iss, session_state, scope...) are passed on to openid-client. */
export const CallbackQuery = z.object({
  code: param('The authorization code'),
  state: param('The state of GET /auth/oidc/{id}/start'),
  error: param('The provider refused or failed (never reflected: the browser gets a fixed error code)'),
});

export const ExchangeBody = z
  .strictObject({ code: z.string({ error: 'is required' }).min(1, 'is required').max(512, 'is too long').openapi({ example: 'kq3...opaque...Zt' }) })
  .openapi('OidcExchangeRequest');

export const IdentitySchema = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    provider: z.string().openapi({ example: 'google' }),
    email: z.string().nullable().openapi({ description: 'The address the provider asserted when the identity was linked' }),
    createdAt: z.iso.datetime(),
  })
  .openapi('Identity');

export const IdentitiesResponse = z.object({ identities: z.array(IdentitySchema) }).openapi('IdentitiesResponse');
