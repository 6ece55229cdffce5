/**
 * The service as an OpenID Provider, on a real loopback port (its issuer is PUBLIC_URL exactly, and
 * relying parties reach it over HTTP), with relying parties played by openid-client (panva's
 * certified client library, as teams' apps use it) and browsers by BrowserSession.
 *
 * The port's handler can be switched between replicas (several apps on one database, one
 * PUBLIC_URL, as behind a load balancer): `replica()` adds one, `routeTo(app)` sends every next
 * request to it. The port runs each app's front door, as the service's HTTP server does (the
 * provider's machine endpoints past Express: src/http/front-door.ts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createTestApp, type TestApp } from './test-app';
import type { Clock } from '../../src/clock';
import type { NewClient } from '../../src/provider/client-service';
import { openIdClient, type OpenIdClient } from '../../src/oidc/openid-client';

export interface ProviderTestApp extends TestApp {
  /** PUBLIC_URL: the issuer. */
  issuer: string;
  /** Another app on the same database and configuration (closed with this one). */
  replica(): Promise<TestApp>;
  /** Every next request on the issuer's port goes to `target` (an app of this harness, or any test app: its front door). */
  routeTo(target: Express | TestApp): void;
  /** Registers a client as an administrator would (the service, not HTTP); its id and secret. */
  registerClient(client: NewClient): Promise<{ clientId: string; clientSecret?: string }>;
}

/**
 * `env` may depend on the issuer (say, an upstream provider that must know the service's callback);
 * `host: 'localhost'` gives the issuer a host name of its own, so that its cookies never mix with
 * those of another server on 127.0.0.1 (cookies ignore ports).
 */
export async function startProviderApp(
  env: Record<string, string> | ((issuer: string) => Promise<Record<string, string>>) = {},
  options: { clock?: Clock; host?: '127.0.0.1' | 'localhost' } = {},
): Promise<ProviderTestApp> {
  let handler: http.RequestListener | undefined;
  const server = http.createServer((req, res) => (handler ? handler(req, res) : res.writeHead(503).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://${options.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  const fullEnv = { PUBLIC_URL: issuer, ...(typeof env === 'function' ? await env(issuer) : env) };
  const t = await createTestApp(fullEnv, options);
  handler = t.service.handler;
  const replicas: TestApp[] = [];
  const frontDoorOf = (target: Express | TestApp) =>
    'service' in target ? target.service.handler : [t, ...replicas].find((candidate) => candidate.app === target)!.service.handler;
  return {
    ...t,
    issuer,
    async replica() {
      const replica = await createTestApp(fullEnv, { ...options, database: t.database });
      replicas.push(replica);
      return replica;
    },
    routeTo(target) {
      handler = frontDoorOf(target);
    },
    async registerClient(client) {
      const { client: created, clientSecret } = await t.service.services.provider.clients.create(client, { actorId: null });
      return { clientId: created.id, ...(clientSecret ? { clientSecret } : {}) };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const replica of replicas) await replica.close();
      await t.close();
    },
  };
}

/** One authorization request of a relying party, with what it must remember until the callback. */
export interface AuthorizationRequest {
  url: string;
  verifier: string;
  state: string;
  nonce: string;
}

/**
 * A relying party (an application of the team) built on openid-client: discovery, authorization
 * URLs with PKCE (S256), state and nonce, the code exchange with every check the library makes
 * (iss, aud, nonce, signature from the JWKS), refresh, userinfo, introspection and revocation.
 */
export async function relyingParty(issuer: string, client: { clientId: string; clientSecret?: string }, redirectUri: string) {
  const oidc = openIdClient();
  const auth = client.clientSecret ? oidc.ClientSecretBasic(client.clientSecret) : oidc.None();
  const configuration = await oidc.discovery(new URL(issuer), client.clientId, client.clientSecret, auth, { execute: [oidc.allowInsecureRequests] });
  return {
    oidc,
    configuration,
    async authorize(parameters: Record<string, string> = {}): Promise<AuthorizationRequest> {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(configuration, {
        redirect_uri: redirectUri,
        scope: 'openid email profile',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        ...parameters,
      });
      return { url: url.href, verifier, state, nonce };
    },
    /** The callback URL the browser was sent to, exchanged for tokens (every check of openid-client). */
    exchange(
      callback: URL,
      request: AuthorizationRequest,
      parameters: Record<string, string> = {},
    ): Promise<OpenIdClient.TokenEndpointResponse & OpenIdClient.TokenEndpointResponseHelpers> {
      return oidc.authorizationCodeGrant(
        configuration,
        callback,
        { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true },
        parameters,
      );
    },
  };
}

export type RelyingParty = Awaited<ReturnType<typeof relyingParty>>;
