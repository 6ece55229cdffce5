/**
 * Runs oidc-provider inside the Express app. Its issuer is PUBLIC_URL exactly, and every URL it
 * builds (discovery, redirects) is built on PUBLIC_URL, whatever Host a request came with.
 *
 * Keys: the library signs with the service's key ring (keys/). Its key set is fixed when it is
 * built, so the host builds one instance per signing key and builds a new one when the ring's
 * signing key changes (a rotation activates at a stored instant, so every replica switches at
 * once, without a restart). All of its state is in PostgreSQL (provider-adapter.ts): the new
 * instance carries every session and grant on.
 *
 * What the host adds around the library's own handling (its Koa middleware):
 * - after a hosted sign-in resumes the authorization, the browser's provider session is bound to
 *   the service session the sign-in opened (tables/provider-state.ts: THE rule of the provider's
 *   state is that bound rows count only while that session is live);
 * - a confirmed RP-initiated logout ends that service session too;
 * - introspection answers a public client invalid_client;
 * - client secrets are compared as hashes (oauth_client stores only their SHA-256).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger';
import type { Worker } from '../lifecycle';
import type { TokenKeys } from '../keys/token-keys';
import { setPageHeaders } from '../web/page-headers';
import { providerLibrary, type Provider, type ProviderConfiguration, type ProviderContext } from './provider-library';
import { isProviderPath, type SigningKey } from './provider-configuration';

/** What the host does when the library finishes one of the flows it cares about. */
export interface ProviderHostHooks {
  /** A hosted sign-in resumed its authorization: `uid`, the browser's provider session, rides on service session `sessionId`. */
  signedIn(uid: string, sessionId: string): Promise<void>;
  /** A confirmed RP-initiated logout ended provider session `uid`. */
  loggedOut(uid: string, ctx: ProviderContext): Promise<void>;
  /** A refresh_token grant succeeded for a token issued through browser session `uid`. */
  renewed(uid: string): Promise<void>;
  /** Pre-processing of a request the library will answer (the device form's field names); may answer it itself. */
  before?: RequestHandler;
}

export interface ProviderHostDeps {
  /** PUBLIC_URL, without a trailing slash: the issuer. */
  issuer: string;
  /** The key ring: its signing key signs ID tokens and JWT access tokens. */
  keys: TokenKeys;
  configuration: (signing: SigningKey) => ProviderConfiguration;
  hooks: ProviderHostHooks;
  logger: Logger;
}

const RESUME_ROUTES = new Set(['resume', 'device_resume']);
const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('base64url');

export class ProviderHost implements Worker {
  readonly name = 'openid-provider';
  private built: { kid: string; provider: Provider; handle: ReturnType<Provider['callback']> } | undefined;
  private readonly publicUrl: URL;

  constructor(private readonly deps: ProviderHostDeps) {
    this.publicUrl = new URL(deps.issuer);
  }

  /** Builds the provider for the current signing key (the key ring has loaded its keys by now). */
  start(): void {
    this.current();
  }

  async stop(): Promise<void> {}

  /** The provider of the ring's current signing key, built anew when that key changed. */
  current(): Provider {
    const signing = this.deps.keys.signingKey();
    if (this.built?.kid !== signing.kid) {
      const provider = this.build({ kid: signing.kid!, algorithm: signing.algorithm as SigningKey['algorithm'], key: signing.key });
      this.built = { kid: signing.kid!, provider, handle: provider.callback() };
      if (signing.kid) this.deps.logger.info({ kid: signing.kid }, 'openid provider: signing with the key ring key');
    }
    return this.built!.provider;
  }

  /** Hands a request to the library (any of its paths; the Express lane and the front door's direct lane both end here). */
  direct(): (req: IncomingMessage, res: ServerResponse) => void {
    const forwardedHost = this.publicUrl.host;
    const forwardedProto = this.publicUrl.protocol.slice(0, -1);
    return (req, res) => {
      this.current();
      // The library builds its URLs from the request: PUBLIC_URL's, whatever this request said.
      req.headers['x-forwarded-host'] = forwardedHost;
      req.headers['x-forwarded-proto'] = forwardedProto;
      // HTML it renders itself (form_post responses) may post to any registered redirect URI.
      setPageHeaders(res, { formTargets: 'any' }, { noStore: false });
      void this.built!.handle(req, res);
    };
  }

  /** The Express middleware that hands the provider's paths to it, after the `before` hook. */
  handler(): RequestHandler {
    const before = this.deps.hooks.before;
    const hand = this.direct();
    return (req, res, next) => {
      if (!isProviderPath(req.path)) return next();
      if (!before) return hand(req, res);
      before(req, res, (error?: unknown) => (error ? next(error) : hand(req, res)));
    };
  }

  private build(signing: SigningKey): Provider {
    const { default: Provider, errors } = providerLibrary();
    const provider = new Provider(this.deps.issuer, this.deps.configuration(signing));
    provider.proxy = true;
    // oauth_client keeps the SHA-256 of each secret (256 random bits: a plain hash suffices);
    // overriding this is the library's way to support hashed secrets (panva/node-oidc-provider#631).
    provider.Client.prototype.compareClientSecret = function compareHashed(this: { clientSecret?: string }, actual: string) {
      const expected = Buffer.from(this.clientSecret ?? '');
      const given = Buffer.from(sha256(actual));
      return expected.length === given.length && timingSafeEqual(expected, given);
    };
    // Every ID token names its browser session (`sid`), which RP-initiated logout and the contract use.
    provider.Client.prototype.includeSid = () => true;
    const { hooks, logger } = this.deps;
    provider.use(async (ctx, next) => {
      await next();
      const oidc = (ctx as ProviderContext).oidc as ProviderContext['oidc'] | undefined;
      if (!oidc) return;
      if (oidc.route === 'introspection' && oidc.client?.clientAuthMethod === 'none') {
        const error = new errors.InvalidClient('introspection is for confidential clients');
        ctx.status = error.statusCode;
        ctx.body = { error: error.error, error_description: error.error_description };
        return;
      }
      const result = oidc.result as { login?: unknown; serviceSessionId?: string } | undefined;
      if (RESUME_ROUTES.has(oidc.route) && result?.login && result.serviceSessionId && oidc.session?.uid)
        await hooks.signedIn(oidc.session.uid, result.serviceSessionId);
      const renewedThrough = (oidc.entities as { RefreshToken?: { sessionUid?: string } } | undefined)?.RefreshToken?.sessionUid;
      if (oidc.route === 'token' && ctx.status === 200 && renewedThrough) await hooks.renewed(renewedThrough);
      if (oidc.route === 'end_session_confirm' && oidc.session?.uid && (oidc.params as { logout?: string } | undefined)?.logout)
        await hooks.loggedOut(oidc.session.uid, ctx as ProviderContext);
    });
    provider.on('server_error', (ctx: ProviderContext, error: Error) => {
      const log = (ctx.req as { log?: Logger }).log ?? logger;
      log.error({ err: error, route: ctx.oidc?.route }, 'openid provider: server error');
    });
    return provider;
  }
}
