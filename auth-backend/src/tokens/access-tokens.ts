/**
 * Access tokens: JWTs (RFC 9068 profile, `typ: at+jwt`), signed with the key that TokenKeys
 * hands out: the shared HS256 secret (default, as in v1) or the current ES256/RS256 key, whose
 * `kid` goes into the header. On verify the key is looked up by `kid` in memory and the
 * algorithm is pinned to that key's, so `none`, RS/HS confusion and any other algorithm fail;
 * `exp`, `iss`, `aud`, `typ` and a not-future `iat` are required. Headers that point at other
 * keys (`jwk`, `jku`, `x5u`, `x5c`) are refused outright: we never issue them.
 */
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { TokenKey, TokenKeys } from '../keys/token-keys';
import type { AuthMethod } from '../domain/user';

export interface AccessClaims {
  /** User id. */
  sub: string;
  /** Session (refresh-token family) id: lets a session's access tokens die with it. */
  sid: string;
  /** RFC 8176: how the session's sign-in was made. */
  amr: AuthMethod[];
}

const AUTH_METHODS: ReadonlySet<string> = new Set<AuthMethod>(['pwd', 'otp', 'mfa', 'ext', 'hwk']);
const isAmr = (value: unknown): value is AuthMethod[] =>
  Array.isArray(value) && value.length > 0 && value.every((method) => typeof method === 'string' && AUTH_METHODS.has(method));

export interface AccessTokenOptions {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

const TOKEN_TYPE = 'at+jwt';
/** How far in the future a token's `iat` may be (clock skew between replicas), seconds. */
export const MAX_IAT_SKEW_SECONDS = 30;
const FOREIGN_KEY_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'];

export class InvalidAccessToken extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/** The header, read before verifying to choose the key; anything unreadable is refused. */
function readHeader(token: string): Record<string, unknown> {
  const dot = token.indexOf('.');
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'));
    if (dot > 0 && header && typeof header === 'object' && !Array.isArray(header)) return header as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new InvalidAccessToken('malformed token header');
}

/** How many verified tokens each process remembers (a few MB at most). */
export const VERIFIED_TOKENS_REMEMBERED = 10_000;

interface VerifiedToken {
  claims: AccessClaims;
  /** Seconds since the epoch: the token is remembered only while it is valid. */
  exp: number;
  /** The key that verified it: a hit counts only while that very key still verifies (not revoked, not retired). */
  kid: string | undefined;
  key: TokenKey['key'];
}

export class AccessTokens {
  /**
   * Tokens this process has verified, by their exact text: a client sends the same access token
   * on every call for its lifetime, and checking its signature and claims each time was an eighth
   * of /auth/me's CPU (docs/performance.md). Nothing but a byte-identical token can hit; a hit
   * still requires the key to verify now and the token not to have expired. Bounded, oldest out.
   * The session is still read on every call (the live-session rule): revocation is never cached.
   */
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(
    private readonly options: AccessTokenOptions,
    private readonly keys: TokenKeys,
  ) {}

  get ttlSeconds(): number {
    return this.options.ttlSeconds;
  }

  async sign(claims: AccessClaims): Promise<string> {
    const { kid, algorithm, key } = this.keys.signingKey();
    return jwt.sign({ sid: claims.sid, amr: claims.amr }, key, {
      algorithm,
      header: { alg: algorithm, typ: TOKEN_TYPE, ...(kid ? { kid } : {}) },
      subject: claims.sub,
      issuer: this.options.issuer,
      audience: this.options.audience,
      expiresIn: this.options.ttlSeconds,
      jwtid: randomUUID(),
    });
  }

  /** The claims of a valid token; throws InvalidAccessToken for anything else. */
  async verify(token: string): Promise<AccessClaims> {
    const known = this.verified.get(token);
    if (known) {
      if (known.exp > Date.now() / 1000 && this.keys.verificationKey(known.kid)?.key === known.key) return known.claims;
      this.verified.delete(token);
    }
    return this.verifyAndRemember(token);
  }

  private verifyAndRemember(token: string): AccessClaims {
    const header = readHeader(token);
    if (FOREIGN_KEY_HEADERS.some((name) => name in header)) throw new InvalidAccessToken('token header names a key of its own');
    const chosen = this.keys.verificationKey(typeof header.kid === 'string' ? header.kid : undefined);
    if (!chosen) throw new InvalidAccessToken('unknown or retired kid');
    let decoded: jwt.Jwt;
    try {
      decoded = jwt.verify(token, chosen.key, {
        algorithms: [chosen.algorithm],
        issuer: this.options.issuer,
        audience: this.options.audience,
        complete: true,
      });
    } catch (error) {
      throw new InvalidAccessToken(error instanceof Error ? error.message : 'invalid token');
    }
    const typ = String(decoded.header.typ ?? '').toLowerCase();
    if (typ !== TOKEN_TYPE && typ !== `application/${TOKEN_TYPE}`) throw new InvalidAccessToken('not an access token (typ)');
    const payload = decoded.payload as jwt.JwtPayload;
    if (typeof payload.exp !== 'number') throw new InvalidAccessToken('token has no exp');
    if (typeof payload.iat !== 'number' || payload.iat > Date.now() / 1000 + MAX_IAT_SKEW_SECONDS)
      throw new InvalidAccessToken('token iat missing or in the future');
    if (!isUuid(payload.sub) || !isUuid(payload.sid) || typeof payload.jti !== 'string') throw new InvalidAccessToken('token lacks sub, sid or jti');
    // Tokens signed before `amr` existed (v2, at most ACCESS_TOKEN_TTL old) came from a password sign-in.
    const amr: unknown = payload.amr ?? ['pwd'];
    if (!isAmr(amr)) throw new InvalidAccessToken('token amr is malformed');
    const claims: AccessClaims = Object.freeze({ sub: payload.sub, sid: payload.sid, amr: Object.freeze([...amr]) as AuthMethod[] });
    if (this.verified.size >= VERIFIED_TOKENS_REMEMBERED) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { claims, exp: payload.exp, kid: chosen.kid, key: chosen.key });
    return claims;
  }
}
