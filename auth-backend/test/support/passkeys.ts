/**
 * The passkey ceremonies as a page runs them against the JSON API, with the software
 * authenticator in place of the browser: options from the service, the authenticator's answer,
 * the answer back to the service.
 */
import type { Express } from 'express';
import { apiClient, bodyOf, type TokenBody } from './api-client';
import { SoftwareAuthenticator, type CreateOverrides, type GetOverrides } from './software-authenticator';

/** The origin of the test apps' pages: PUBLIC_URL and APP_URL default to http://localhost:3000, and the RP id to localhost. */
export const TEST_ORIGIN = 'http://localhost:3000';

export interface PasskeyBody {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  transports: string[];
}

export const newAuthenticator = (origin = TEST_ORIGIN) => new SoftwareAuthenticator(origin);

/** Registration options, the authenticator's new credential, and the registration: the registration's response (any status). */
export async function addPasskey(app: Express, accessToken: string, authenticator: SoftwareAuthenticator, options: { name?: string } & CreateOverrides = {}) {
  const { name, ...overrides } = options;
  const creation = await apiClient(app).passkeyRegistrationOptions(accessToken).expect(200);
  const response = authenticator.create(creation.body.options, overrides);
  return apiClient(app).registerPasskey(accessToken, { response, ...(name === undefined ? {} : { name }) });
}

/** addPasskey, expecting it to be stored. */
export async function addedPasskey(app: Express, accessToken: string, authenticator: SoftwareAuthenticator, options: { name?: string } & CreateOverrides = {}) {
  const response = await addPasskey(app, accessToken, authenticator, options);
  if (response.status !== 201) throw new Error(`passkey registration answered ${response.status}: ${JSON.stringify(response.body)}`);
  return bodyOf<{ passkey: PasskeyBody }>(response).passkey;
}

/** A username-less sign-in: options, the authenticator's assertion, the assertion back. Returns what was sent (for replays) and the answer (any status). */
export async function passkeySignIn(app: Express, authenticator: SoftwareAuthenticator, overrides: GetOverrides = {}) {
  const { options, challengeId } = (await apiClient(app).passkeySignInOptions().expect(200)).body;
  const body = { challengeId, response: authenticator.get(options, overrides) };
  return { body, response: await apiClient(app).passkeySignIn(body) };
}

/** passkeySignIn, expecting a token response. */
export async function signedInWithPasskey(app: Express, authenticator: SoftwareAuthenticator, overrides: GetOverrides = {}): Promise<TokenBody> {
  const { response } = await passkeySignIn(app, authenticator, overrides);
  if (response.status !== 200) throw new Error(`passkey sign-in answered ${response.status}: ${JSON.stringify(response.body)}`);
  return bodyOf<TokenBody>(response);
}
