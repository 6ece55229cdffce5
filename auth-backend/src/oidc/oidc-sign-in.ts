/**
 * The browser flow of a provider sign-in, knowing nothing of HTTP: start (state, nonce, PKCE, the
 * browser binding), callback (state check, code exchange and ID-token validation by
 * openid-client, the account rules), and the exchange of the one-time code for a sign-in.
 * After a valid state, every failure is a redirect back with a fixed `error` code.
 */
import type { SignInAttempt } from '../sign-in/sign-in-attempt';
import type { RequestMeta } from '../domain/audit';
import type { Logger } from '../logger';
import { AppError } from '../errors';
import type { UsersTable } from '../tables/users';
import type { OidcStatesTable } from '../tables/oidc-states';
import type { OidcExchangeCodesTable } from '../tables/oidc-exchange-codes';
import type { OidcProviderConfig } from '../config/oidc-providers';
import type { Transactions } from '../db/transaction';
import type { AddressDigests } from '../crypto/address-digest';
import { openIdClient } from './openid-client';
import { ProviderUnavailable, type ProviderRegistry } from './provider-registry';
import type { AccountResolution } from './account-resolution';
import { allowedRedirect, withParameter } from './redirect-target';
import { classifyFailure, type SignInError } from './sign-in-errors';

export const STATE_TTL_SECONDS = 600;
export const EXCHANGE_CODE_TTL_SECONDS = 60;

/** Where the browser goes next, and the binding cookie to set (start) or clear (callback). */
export interface BrowserStep {
  location: string;
  binding?: { value: string; maxAgeSeconds: number } | 'clear';
}

export interface OidcSignInDeps {
  registry: ProviderRegistry;
  states: OidcStatesTable;
  exchangeCodes: OidcExchangeCodesTable;
  users: UsersTable;
  transaction: Transactions;
  accounts: AccountResolution;
  /** Log references of addresses (keyed: crypto/address-digest.ts). */
  digests: AddressDigests;
  publicUrl: string;
  redirectOrigins: readonly string[];
}

const INVALID_STATE = 'The sign-in state is missing, unknown, expired, already used or was started in another browser: start the sign-in again.';

export class OidcSignIn {
  constructor(private readonly deps: OidcSignInDeps) {}

  callbackUrl(provider: OidcProviderConfig): string {
    return `${this.deps.publicUrl}/auth/oidc/${provider.id}/callback`;
  }

  provider(id: string): OidcProviderConfig {
    const provider = this.deps.registry.find(id);
    if (!provider) throw new AppError('not_found', `No sign-in provider "${id.slice(0, 40)}".`);
    return provider;
  }

  async start(providerId: string, redirectTo: string, log: Logger): Promise<BrowserStep> {
    const provider = this.provider(providerId);
    const target = allowedRedirect(redirectTo, this.deps.redirectOrigins);
    if (!target) {
      throw new AppError('validation_failed', 'The request is invalid.', {
        errors: [{ path: 'redirectTo', message: 'must be an absolute URL on an allowed origin (REDIRECT_ALLOWLIST)' }],
      });
    }
    let configuration;
    try {
      configuration = await this.deps.registry.configuration(provider);
    } catch (error) {
      if (!(error instanceof ProviderUnavailable)) throw error;
      log.info({ event: 'oidc.start', provider: provider.id, outcome: 'failure', reason: 'provider_unavailable' }, 'sign-in not started');
      return { location: withParameter(target, 'error', 'provider_unavailable') };
    }
    const client = openIdClient();
    // The verifier never reaches the database: it is the browser's binding cookie, of which the
    // state row keeps only the SHA-256 (which is the S256 code_challenge the provider sees anyway).
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const state = await this.deps.states.create({ provider: provider.id, nonce, redirectTo: target, binding: verifier, ttlSeconds: STATE_TTL_SECONDS });
    const url = client.buildAuthorizationUrl(configuration, {
      response_type: 'code',
      redirect_uri: this.callbackUrl(provider),
      scope: provider.scopes,
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    log.info({ event: 'oidc.start', provider: provider.id, outcome: 'redirected' }, 'sign-in started at the provider');
    return { location: url.href, binding: { value: verifier, maxAgeSeconds: STATE_TTL_SECONDS } };
  }

  /**
   * `query` is the callback's raw query string (openid-client reads the authorization response
   * from it); `state` its parsed state; `binding` the browser's binding cookie.
   */
  async callback(
    input: { providerId: string; query: string; state: string | undefined; binding: string | undefined; userAgent: string | null; meta?: RequestMeta },
    log: Logger,
  ): Promise<BrowserStep> {
    const provider = this.provider(input.providerId);
    const line = { event: 'oidc.callback', provider: provider.id };
    const started = input.state && input.binding ? await this.deps.states.consume(provider.id, input.state, input.binding) : undefined;
    if (!started || !input.state || !input.binding) {
      log.info({ ...line, outcome: 'failure', reason: !input.state ? 'no-state' : !input.binding ? 'no-binding-cookie' : 'unknown-state' }, 'callback refused');
      throw new AppError('invalid_state', INVALID_STATE);
    }
    const fail = (error: SignInError, cause?: unknown): BrowserStep => {
      const { name, code } = (cause ?? {}) as { name?: string; code?: string };
      log.info({ ...line, outcome: 'failure', reason: error, ...(cause ? { error: { name, code } } : {}) }, 'provider sign-in failed');
      return { location: withParameter(started.redirectTo, 'error', error), binding: 'clear' };
    };
    try {
      const client = openIdClient();
      const configuration = await this.deps.registry.configuration(provider);
      const tokens = await client.authorizationCodeGrant(configuration, new URL(`${this.callbackUrl(provider)}?${input.query}`), {
        pkceCodeVerifier: input.binding,
        expectedState: input.state,
        expectedNonce: started.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) return fail('invalid_response');
      let asserted: Record<string, unknown> = claims;
      // Providers that keep profile claims out of the ID token serve them at userinfo (its `sub` is checked against the token's).
      if (claims.email === undefined && configuration.serverMetadata().userinfo_endpoint)
        asserted = { ...(await client.fetchUserInfo(configuration, tokens.access_token, claims.sub)), ...claims };
      const email = typeof asserted.email === 'string' && asserted.email.trim() ? asserted.email.trim().toLowerCase() : undefined;
      const resolution = await this.deps.accounts.resolve(
        {
          provider: provider.id,
          subject: claims.sub,
          email,
          emailVerified: asserted.email_verified === true || asserted.email_verified === 'true',
          name: typeof asserted.name === 'string' && asserted.name.trim() ? asserted.name.trim().slice(0, 100) : null,
        },
        log,
        input.meta,
      );
      if (resolution.kind === 'refused') return fail(resolution.error);
      const code = await this.deps.transaction((tx) =>
        this.deps.exchangeCodes.in(tx).issue({ userId: resolution.userId, amr: ['ext'], ttlSeconds: EXCHANGE_CODE_TTL_SECONDS }),
      );
      log.info(
        { ...line, outcome: 'success', how: resolution.how, userId: resolution.userId, ...(email ? { emailRef: this.deps.digests.ref(email) } : {}) },
        'provider sign-in succeeded: exchange code issued',
      );
      return { location: withParameter(started.redirectTo, 'code', code), binding: 'clear' };
    } catch (error) {
      const classified = classifyFailure(error);
      if (classified === 'server_error') log.error({ ...line, err: error }, 'provider sign-in failed unexpectedly');
      return fail(classified, error);
    }
  }

  /**
   * The sign-in attempt behind a one-time code, for the pipeline to finish (a provider vouches for
   * the person, not for the account: a disabled account, say, is refused there as at every door).
   */
  async exchange(code: string, userAgent: string | null, log: Logger, meta?: RequestMeta): Promise<SignInAttempt> {
    const grant = await this.deps.exchangeCodes.consume(code);
    const account = grant ? await this.deps.users.findAccount(grant.userId) : null;
    if (!grant || !account) {
      log.info({ event: 'oidc.exchange', outcome: 'failure', reason: 'invalid-code' }, 'exchange refused');
      throw new AppError('invalid_exchange_code', 'The code is unknown, expired or already used: sign in again.');
    }
    log.info({ event: 'oidc.exchange', outcome: 'redeemed', userId: account.id }, 'exchange code redeemed');
    return { account, amr: grant.amr, door: 'provider', userAgent, meta };
  }
}
