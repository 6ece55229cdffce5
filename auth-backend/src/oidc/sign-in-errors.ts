/**
 * The fixed vocabulary of `?error=` after a valid state: a provider's own error text is never
 * reflected, only one of these codes.
 */
import { ProviderUnavailable } from './provider-registry';

export type SignInError =
  /** The person refused or cancelled at the provider. */
  | 'access_denied'
  /** The provider answered with an error (authorization or token endpoint). */
  | 'provider_error'
  /** The provider could not be reached, or its discovery has not succeeded yet. */
  | 'provider_unavailable'
  /** The provider's answer failed validation: ID token signature, iss, aud, exp, nonce, state or shape. */
  | 'invalid_response'
  /** The provider gave no email address, which an account needs. */
  | 'email_missing'
  /** The provider's address is not verified and an account already has it: nothing is linked. */
  | 'email_not_verified'
  | 'server_error';

const NETWORK = /fetch failed|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|socket/i;

/** Maps what openid-client (or the network under it) threw to the vocabulary. */
export function classifyFailure(error: unknown): SignInError {
  if (error instanceof ProviderUnavailable) return 'provider_unavailable';
  const {
    name,
    code,
    error: oauthError,
    status,
    message,
    cause,
  } = (error ?? {}) as {
    name?: string;
    code?: string;
    error?: string;
    status?: number;
    message?: string;
    cause?: { code?: string };
  };
  if (name === 'AuthorizationResponseError') return oauthError === 'access_denied' ? 'access_denied' : 'provider_error';
  if (name === 'ResponseBodyError' || name === 'WWWAuthenticateChallengeError') return (status ?? 0) >= 500 ? 'provider_unavailable' : 'provider_error';
  if (name === 'TimeoutError' || name === 'AbortError') return 'provider_unavailable';
  if (name === 'TypeError' && (NETWORK.test(message ?? '') || NETWORK.test(cause?.code ?? ''))) return 'provider_unavailable';
  if (name === 'ClientError') {
    if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || code === 'OAUTH_RESPONSE_IS_NOT_JSON') return 'provider_unavailable';
    return 'invalid_response';
  }
  if (name === 'OperationProcessingError' || name === 'JOSEError' || (name ?? '').startsWith('JW')) return 'invalid_response';
  return 'server_error';
}
