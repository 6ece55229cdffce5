/**
 * The configured OpenID Connect providers and their discovered metadata. Discovery (and so the
 * provider's endpoints and JWKS location) happens at start in the background: an issuer that does
 * not answer is a warning and a retry with backoff, never a failed start, so password sign-in
 * keeps working. Each provider's Configuration (openid-client) caches its JWKS.
 */
import type { Logger } from '../logger';
import type { Worker } from '../lifecycle';
import type { OidcProviderConfig } from '../config/oidc-providers';
import { openIdClient, type OidcConfiguration } from './openid-client';

export class ProviderUnavailable extends Error {
  constructor(readonly provider: string) {
    super(`provider ${provider} has not been discovered yet`);
    this.name = 'ProviderUnavailable';
  }
}

interface Discovery {
  configuration?: OidcConfiguration;
  inFlight?: Promise<OidcConfiguration>;
  failures: number;
  retry?: NodeJS.Timeout;
}

export interface RegistryOptions {
  /** First retry delay after a failed discovery, doubling up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Seconds each request to a provider may take. */
  timeoutSeconds?: number;
}

export class ProviderRegistry implements Worker {
  readonly name = 'oidc-discovery';
  private readonly state = new Map<string, Discovery>();
  private stopped = false;

  constructor(
    private readonly providers: readonly OidcProviderConfig[],
    private readonly log: Logger,
    private readonly options: RegistryOptions = {},
  ) {}

  list(): readonly OidcProviderConfig[] {
    return this.providers;
  }

  find(id: string): OidcProviderConfig | undefined {
    return this.providers.find((provider) => provider.id === id);
  }

  start(): void {
    this.stopped = false;
    // Not awaited: a slow or absent provider must not hold up the start of the service.
    for (const provider of this.providers) void this.discover(provider).catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const discovery of this.state.values()) clearTimeout(discovery.retry);
    await Promise.allSettled([...this.state.values()].map((discovery) => discovery.inFlight));
  }

  /** The provider's discovered configuration; ProviderUnavailable while discovery fails (it is retried meanwhile). */
  async configuration(provider: OidcProviderConfig): Promise<OidcConfiguration> {
    const discovery = this.state.get(provider.id);
    if (discovery?.configuration) return discovery.configuration;
    if (discovery?.inFlight) return discovery.inFlight;
    if (discovery?.retry) throw new ProviderUnavailable(provider.id);
    return this.discover(provider);
  }

  private discover(provider: OidcProviderConfig): Promise<OidcConfiguration> {
    const discovery = this.state.get(provider.id) ?? { failures: 0 };
    this.state.set(provider.id, discovery);
    const client = openIdClient();
    const issuer = new URL(provider.issuer);
    // Plain http only for an issuer the configuration allowed (loopback, or outside production).
    const insecure = issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [];
    discovery.inFlight = client
      .discovery(issuer, provider.clientId, provider.clientSecret, undefined, {
        // The contract wants the ID token's signature checked even when it comes straight from the token endpoint.
        execute: [client.enableNonRepudiationChecks, ...insecure],
        timeout: this.options.timeoutSeconds ?? 10,
      })
      .then(
        (configuration) => {
          discovery.configuration = configuration;
          discovery.inFlight = undefined;
          if (discovery.failures > 0) this.log.info({ event: 'oidc.discovery', provider: provider.id, outcome: 'success' }, 'provider discovered');
          discovery.failures = 0;
          return configuration;
        },
        (error: unknown) => {
          discovery.inFlight = undefined;
          discovery.failures += 1;
          const delay = Math.min((this.options.retryDelayMs ?? 1000) * 2 ** (discovery.failures - 1), this.options.maxRetryDelayMs ?? 300_000);
          // Names and codes only (ECONNREFUSED, OAUTH_...): never a response body.
          const { name, code, cause } = error as { name?: string; code?: string; cause?: { code?: string } };
          this.log.warn(
            {
              event: 'oidc.discovery',
              provider: provider.id,
              outcome: 'failure',
              error: { name, code, cause: cause?.code },
              failures: discovery.failures,
              retryInMs: delay,
            },
            'provider discovery failed: sign-in with it is unavailable until a retry succeeds',
          );
          if (!this.stopped) {
            discovery.retry = setTimeout(() => {
              discovery.retry = undefined;
              if (!this.stopped) void this.discover(provider).catch(() => undefined);
            }, delay);
            discovery.retry.unref();
          }
          throw new ProviderUnavailable(provider.id);
        },
      );
    return discovery.inFlight;
  }
}
