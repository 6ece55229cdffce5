/**
 * The console as a relying party of the service's own OpenID Provider (dogfooding): an
 * authorization request with PKCE (S256), state and nonce, then the code exchanged at the token
 * endpoint by openid-client, the same certified library the team's apps use, with every check it
 * makes (issuer, audience, nonce, the ID token's signature against the JWKS). So the hosted
 * sign-in page, the second factor, passkeys and throttles apply to the console as to any app.
 *
 * The back-channel requests (discovery, token, JWKS) go to the socket the callback arrived on,
 * not out through PUBLIC_URL's name: a service behind a proxy reaches itself without leaving the
 * host, and the provider builds its URLs from PUBLIC_URL whatever Host a request has.
 */
import type { Request } from 'express';
import { openIdClient, type OpenIdClient } from '../oidc/openid-client';
import type { AuthMethod } from '../domain/user';
import type { ConsoleSession, SignInFlow } from './console-cookies';
import { CONSOLE_CLIENT_ID, consoleRedirectUri } from './console-client';

export interface ConsoleSignInDeps {
  /** PUBLIC_URL: the issuer. */
  issuer: string;
  /** The service session a provider access token was issued through (provider/provider-module.ts). */
  sessionBehind: (accessToken: string) => Promise<{ userId: string; sessionId: string } | undefined>;
}

/** A sign-in that cannot finish (expired, refused, tampered with): the page says so and offers a new one. */
export class ConsoleSignInError extends Error {}

/** The address of the socket a request arrived on, as an origin this process answers. */
function localOrigin(req: Request): string {
  const address = req.socket.localAddress ?? '127.0.0.1';
  const host = address.includes(':') ? `[${address}]` : address;
  return `http://${host}:${req.socket.localPort}`;
}

export class ConsoleSignIn {
  constructor(private readonly deps: ConsoleSignInDeps) {}

  /** A new authorization request: the flow to remember (sealed cookie) and where to send the browser. */
  async start(returnTo: string, prompt?: 'login'): Promise<{ flow: SignInFlow; url: string }> {
    const oidc = openIdClient();
    const verifier = oidc.randomPKCECodeVerifier();
    const flow: SignInFlow = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier, returnTo };
    const url = new URL(`${this.deps.issuer}/oidc/auth`);
    url.search = new URLSearchParams({
      client_id: CONSOLE_CLIENT_ID,
      response_type: 'code',
      redirect_uri: consoleRedirectUri(this.deps.issuer),
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
      ...(prompt ? { prompt } : {}),
    }).toString();
    return { flow, url: url.href };
  }

  /** The callback request exchanged for a console session (the service session the sign-in opened). */
  async finish(req: Request, flow: SignInFlow): Promise<ConsoleSession> {
    const oidc = openIdClient();
    const { issuer } = this.deps;
    const local = new URL(localOrigin(req));
    const insecure = issuer.startsWith('http:');
    const throughLocalSocket: OpenIdClient.CustomFetch = (url, options) => {
      const target = new URL(url);
      if (target.origin === new URL(issuer).origin) {
        target.protocol = local.protocol;
        target.host = local.host;
      }
      return fetch(target.href, options as RequestInit);
    };
    let tokens;
    try {
      const configuration = await oidc.discovery(new URL(issuer), CONSOLE_CLIENT_ID, undefined, oidc.None(), {
        execute: insecure ? [oidc.allowInsecureRequests] : [],
        [oidc.customFetch]: throughLocalSocket,
      });
      configuration[oidc.customFetch] = throughLocalSocket;
      tokens = await oidc.authorizationCodeGrant(configuration, new URL(req.originalUrl, issuer), {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      if (error instanceof oidc.AuthorizationResponseError) throw new ConsoleSignInError(error.error_description ?? error.error);
      if (error instanceof oidc.ResponseBodyError) throw new ConsoleSignInError(error.error_description ?? error.error);
      throw error;
    }
    const claims = tokens.claims()!;
    const bound = await this.deps.sessionBehind(tokens.access_token);
    if (!bound || bound.userId !== claims.sub) throw new ConsoleSignInError('The sign-in ended before the console could use it.');
    const amr = Array.isArray(claims.amr) ? (claims.amr.filter((method) => typeof method === 'string') as AuthMethod[]) : [];
    return { userId: bound.userId, sessionId: bound.sessionId, amr };
  }
}
