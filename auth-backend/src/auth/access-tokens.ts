/**
 * Access tokens: HS256 JWTs (RFC 9068 profile, `typ: at+jwt`). The algorithm is pinned on
 * verify, so `none`, RS/HS confusion and any other algorithm fail; `exp`, `iss`, `aud` and
 * `typ` are required. Key headers (`jwk`, `jku`, `x5u`, `kid`) are never consulted.
 *
 * The secret is a KeyObject made once: given a string, jsonwebtoken tries to parse it as a
 * public key on every call, which costs ~3x the throughput (../shared/PERFORMANCE.md).
 */
import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

export interface AccessClaims {
  /** User id. */
  sub: string;
  /** Session (refresh-token family) id: lets a session's access tokens die with it. */
  sid: string;
}

export interface AccessTokenOptions {
  secret: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

const ALGORITHM = 'HS256';
const TOKEN_TYPE = 'at+jwt';

export class InvalidAccessToken extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

export class AccessTokens {
  private readonly key: KeyObject;

  constructor(private readonly options: AccessTokenOptions) {
    this.key = createSecretKey(Buffer.from(options.secret, 'utf8'));
  }

  get ttlSeconds(): number {
    return this.options.ttlSeconds;
  }

  sign(claims: AccessClaims): string {
    return jwt.sign({ sid: claims.sid }, this.key, {
      algorithm: ALGORITHM,
      header: { alg: ALGORITHM, typ: TOKEN_TYPE },
      subject: claims.sub,
      issuer: this.options.issuer,
      audience: this.options.audience,
      expiresIn: this.options.ttlSeconds,
      jwtid: randomUUID(),
    });
  }

  /** The claims of a valid token; throws InvalidAccessToken for anything else. */
  verify(token: string): AccessClaims {
    let decoded: jwt.Jwt;
    try {
      decoded = jwt.verify(token, this.key, {
        algorithms: [ALGORITHM],
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
    if (!isUuid(payload.sub) || !isUuid(payload.sid) || typeof payload.jti !== 'string') throw new InvalidAccessToken('token lacks sub, sid or jti');
    return { sub: payload.sub, sid: payload.sid };
  }
}
