/**
 * A registered client (tables/oauth-clients.ts) as oidc-provider sees it: OAuth/OIDC client
 * metadata. Confidential clients authenticate with their secret (client_secret_basic, or _post),
 * public ones with none (PKCE alone). Clients with a loopback http redirect URI are native apps,
 * whose loopback redirects match with any port (RFC 8252 section 7.3).
 */
import type { OAuthClient } from '../tables/oauth-clients';
import { inLibraryRealm, type OidcProvider } from './provider-library';

/** The grant types a client may be registered for (the contract's standard names). */
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** Client metadata of our own, beyond the standard's (oidc-provider's extraClientMetadata). */
export const EXTRA_METADATA = ['first_party', 'allowed_resources'] as const;

/** http on a loopback address (RFC 8252 section 7.3): 127.0.0.0/8, [::1] or localhost. */
export function isLoopbackHttp(uri: string): boolean {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  return url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(url.hostname));
}

export function clientMetadata(client: OAuthClient): OidcProvider.AdapterPayload {
  const native = [...client.redirectUris, ...client.postLogoutRedirectUris].some(isLoopbackHttp);
  const confidential = client.type === 'confidential';
  return inLibraryRealm({
    client_id: client.id,
    client_name: client.name,
    // The SHA-256 of the secret: compared by hashing what the client presents (provider-host.ts).
    ...(confidential && client.secretHash ? { client_secret: client.secretHash } : {}),
    token_endpoint_auth_method: confidential ? 'client_secret_basic' : 'none',
    application_type: native ? 'native' : 'web',
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: client.grantTypes,
    response_types: client.grantTypes.includes('authorization_code') ? ['code'] : [],
    first_party: client.firstParty,
    allowed_resources: client.resources,
  });
}
