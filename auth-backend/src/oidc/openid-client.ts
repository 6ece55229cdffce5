/**
 * openid-client (panva's certified relying-party library) is ESM only, and this service is
 * CommonJS. Node >= 20.19 loads an ES module with require(), provided it has no top-level await
 * (openid-client has none). The require used is Node's own (createRequire of the built-in module,
 * reached through process.getBuiltinModule), so the same line works in the built service, in the
 * container and under jest, whose module registry would otherwise intercept it and not load ESM.
 */
import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };

export type { OpenIdClient };
export type OidcConfiguration = OpenIdClient.Configuration;

let loaded: typeof OpenIdClient | undefined;

/** The library, loaded on first use. */
export function openIdClient(): typeof OpenIdClient {
  loaded ??= nodeRequire()('openid-client') as typeof OpenIdClient;
  return loaded;
}

/** Node's own require, relative to this file (not a bundler's or a test runner's). */
export const nodeRequire = () => process.getBuiltinModule('node:module').createRequire(__filename);
