/**
 * Where access tokens get their keys: one shared HS256 secret (the v1 behaviour, and the
 * default), or the asymmetric key ring (keys/key-ring.ts) that publishes a JWKS.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import type jwt from 'jsonwebtoken';

export interface TokenKey {
  /** In the token header; undefined for the shared secret (exactly as v1). */
  kid: string | undefined;
  /** The one algorithm this key is used with: pinned on verify. */
  algorithm: jwt.Algorithm;
  key: KeyObject;
}

export interface TokenKeys {
  signingKey(): TokenKey;
  /** The key of `kid` if it verifies now. */
  verificationKey(kid: string | undefined): TokenKey | undefined;
}

/** HS256 with JWT_SECRET: a KeyObject made once (a string costs ~3x the throughput, docs/performance.md). */
export class SharedSecretKey implements TokenKeys {
  private readonly key: TokenKey;

  constructor(secret: string) {
    this.key = { kid: undefined, algorithm: 'HS256', key: createSecretKey(Buffer.from(secret, 'utf8')) };
  }

  signingKey(): TokenKey {
    return this.key;
  }

  /** Any `kid` header is ignored, as in v1. */
  verificationKey(): TokenKey {
    return this.key;
  }
}
