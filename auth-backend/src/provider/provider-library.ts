/**
 * oidc-provider (panva's certified OpenID Provider library) is ESM only, and this service is
 * CommonJS. Node >= 20.19 loads it with require() (it has no top-level await), through Node's own
 * require (oidc/openid-client.ts explains why: the same line works in dist/, in the container and
 * under jest). Types come from @types/oidc-provider, a type-only import.
 *
 * The library lives in Node's main realm. Under jest the service's own code runs in a VM context of
 * its own, whose plain objects fail the library's checks (`value.constructor === Object`), so every
 * plain object handed to it (its configuration, the payloads the adapter reads, the claims of an
 * account) is built in the library's realm with `inLibraryRealm` and `libraryJson`. In the service
 * itself there is one realm, and both are the identity and the built-in JSON.
 */
import type * as OidcProvider from 'oidc-provider' with { 'resolution-mode': 'import' };
import { nodeRequire } from '../oidc/openid-client';

export type { OidcProvider };
export type Provider = OidcProvider.default;
export type ProviderConfiguration = OidcProvider.Configuration;
export type ProviderContext = OidcProvider.KoaContextWithOIDC;

export type Library = typeof OidcProvider;
let loaded: Library | undefined;

/** The library, loaded on first use. */
export function providerLibrary(): Library {
  loaded ??= nodeRequire()('oidc-provider') as Library;
  return loaded;
}

interface Realm {
  Object: ObjectConstructor;
  Array: ArrayConstructor;
  JSON: JSON;
}

let realm: Realm | undefined;
/** The globals of Node's main realm, where natively required modules (the library) run. */
function libraryRealm(): Realm {
  realm ??= process.getBuiltinModule('node:vm').runInThisContext('({ Object, Array, JSON })') as Realm;
  return realm;
}

const isPlain = (value: object) => {
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || Object.getPrototypeOf(prototype) === null;
};

/** `value` with its plain objects and arrays rebuilt in the library's realm (functions and class instances as they are). */
export function inLibraryRealm<T>(value: T): T {
  const target = libraryRealm();
  if (target.Object === Object) return value;
  const adopt = (inner: unknown): unknown => {
    if (Array.isArray(inner)) return target.Array.from(inner, adopt);
    if (inner === null || typeof inner !== 'object' || !isPlain(inner)) return inner;
    const copy = new target.Object() as Record<string, unknown>;
    for (const [key, member] of Object.entries(inner)) copy[key] = adopt(member);
    return copy;
  };
  return adopt(value) as T;
}

/** JSON.parse of the library's realm: data read from the database, handed to the library. */
export const libraryJson = (): JSON => libraryRealm().JSON;
