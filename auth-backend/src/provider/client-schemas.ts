/**
 * The shapes of the provider's JSON endpoints: clients (/admin/clients) and the user's apps
 * (/auth/apps). Redirect URIs are matched exactly by the provider, so they are checked strictly
 * here: absolute, https (or http on a loopback address, for native apps), no fragment, no wildcard.
 */
import { z } from '../http/zod';
import type { OAuthClient } from '../tables/oauth-clients';
import type { Consent } from '../tables/oauth-consents';
import { GRANT_TYPES, isLoopbackHttp } from './client-metadata';

const MAX_URIS = 20;

const parsedUrl = (value: string): URL | undefined => {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
};

/** A redirect (or post-logout redirect) URI the provider will compare exactly. */
const redirectUri = z
  .string()
  .max(2000)
  .refine((value) => parsedUrl(value) !== undefined && !/\s/.test(value), { message: 'must be an absolute URL (e.g. https://app.example.com/callback)' })
  .refine((value) => parsedUrl(value)?.protocol === 'https:' || isLoopbackHttp(value), {
    message: 'must be https, or http on a loopback address (127.0.0.1, [::1], localhost) for a native app',
  })
  .refine((value) => !value.includes('#') && !value.includes('*'), { message: 'must not contain a fragment or a wildcard' });

const resource = z
  .string()
  .max(2000)
  .refine((value) => ['https:', 'http:'].includes(parsedUrl(value)?.protocol ?? '') && !value.includes('#'), {
    message: 'must be an absolute http(s) URL without a fragment (RFC 8707)',
  });

const uris = <T extends z.ZodType>(item: T) => z.array(item).max(MAX_URIS);
const name = z.string().trim().min(1).max(100);

export const ClientSchema = z
  .object({
    id: z.string().openapi({ description: 'The OAuth client_id' }),
    name: z.string(),
    type: z.enum(['confidential', 'public']),
    redirectUris: z.array(z.string()),
    postLogoutRedirectUris: z.array(z.string()),
    grantTypes: z.array(z.enum(GRANT_TYPES)),
    resources: z.array(z.string()),
    firstParty: z.boolean(),
    createdAt: z.iso.datetime(),
  })
  .openapi('Client');

export const CreateClientBody = z
  .strictObject({
    name,
    type: z
      .enum(['confidential', 'public'])
      .openapi({ description: 'confidential: a server-side app with a secret; public: a single-page or native app (PKCE only)' }),
    redirectUris: uris(redirectUri),
    postLogoutRedirectUris: uris(redirectUri).optional(),
    grantTypes: z
      .array(z.enum(GRANT_TYPES))
      .min(1)
      .max(GRANT_TYPES.length)
      .optional()
      .openapi({ description: 'Default: authorization_code and refresh_token' }),
    resources: uris(resource).optional(),
    firstParty: z.boolean().optional().openapi({ description: "The team's own app: no consent page. Default false" }),
  })
  .openapi('CreateClientRequest');

export const UpdateClientBody = z
  .strictObject({
    name: name.optional(),
    redirectUris: uris(redirectUri).optional(),
    postLogoutRedirectUris: uris(redirectUri).optional(),
    grantTypes: z.array(z.enum(GRANT_TYPES)).min(1).max(GRANT_TYPES.length).optional(),
    resources: uris(resource).optional(),
    firstParty: z.boolean().optional(),
  })
  .openapi('UpdateClientRequest');

export const ClientResponse = z.object({ client: ClientSchema }).openapi('ClientResponse');
export const CreatedClientResponse = z
  .object({
    client: ClientSchema,
    clientSecret: z.string().optional().openapi({ description: 'Confidential clients only, and only in this answer: store it now' }),
  })
  .openapi('CreatedClientResponse');
export const ClientListResponse = z.object({ clients: z.array(ClientSchema) }).openapi('ClientListResponse');
export const ClientSecretResponse = z.object({ clientSecret: z.string() }).openapi('ClientSecretResponse');
export const ClientIdParams = z.object({ id: z.string().openapi({ description: 'A client_id' }) });

export const AppsResponse = z
  .object({
    apps: z.array(
      z.object({
        clientId: z.string(),
        name: z.string(),
        scopes: z.array(z.string()).openapi({ description: 'What the user granted the app' }),
        grantedAt: z.iso.datetime(),
      }),
    ),
  })
  .openapi('AppsResponse');
export const AppParams = z.object({ clientId: z.string().openapi({ description: 'The client_id of the app' }) });

export const toClientBody = (client: OAuthClient) =>
  ClientSchema.parse({
    id: client.id,
    name: client.name,
    type: client.type,
    redirectUris: client.redirectUris,
    postLogoutRedirectUris: client.postLogoutRedirectUris,
    grantTypes: client.grantTypes,
    resources: client.resources,
    firstParty: client.firstParty,
    createdAt: client.createdAt.toISOString(),
  });

export const toAppBody = (consent: Consent) => ({
  clientId: consent.clientId,
  name: consent.name,
  scopes: consent.scopes,
  grantedAt: consent.grantedAt.toISOString(),
});
