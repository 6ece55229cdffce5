/**
 * One fixed-window counter in PostgreSQL (table rate_limit, via rate-limiter-flexible, which
 * writes that table and nothing else does): `limit` requests per key per `windowSeconds`, shared
 * by every replica. Login's per-IP limits and the mail endpoints' limits are each one of these,
 * made by WindowLimits, the one holder of the pool on this table's behalf.
 */
import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { throttled } from './throttled';

export interface RateLimitState {
  limit: number;
  remaining: number;
  resetSeconds: number;
  windowSeconds: number;
}

export const RATE_LIMIT_HEADER_NAMES = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy'];

/** RateLimit header fields (draft-ietf-httpapi-ratelimit-headers) for a state. */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'RateLimit-Limit': String(state.limit),
    'RateLimit-Remaining': String(state.remaining),
    'RateLimit-Reset': String(state.resetSeconds),
    'RateLimit-Policy': `${state.limit};w=${state.windowSeconds}`,
  };
}

export class WindowLimit {
  private readonly limiter: RateLimiterPostgres;

  constructor(
    pool: pg.Pool,
    keyPrefix: string,
    private readonly limit: number,
    private readonly windowSeconds: number,
    /** The problem detail of the 429. */
    private readonly refusal: string,
  ) {
    this.limiter = new RateLimiterPostgres({
      storeClient: pool,
      storeType: 'pool',
      tableName: 'rate_limit',
      tableCreated: true,
      keyPrefix,
      points: limit,
      duration: windowSeconds,
    });
  }

  /** Counts one request for `key`; past the limit throws a 429 AppError with Retry-After and RateLimit headers. */
  async consume(key: string): Promise<RateLimitState> {
    try {
      return this.state(await this.limiter.consume(key));
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const rejected = this.state(rejection);
      throw throttled(this.refusal, rejected.resetSeconds, rateLimitHeaders(rejected));
    }
  }

  private state(result: RateLimiterRes): RateLimitState {
    return {
      limit: this.limit,
      remaining: result.remainingPoints,
      resetSeconds: Math.max(1, Math.ceil(result.msBeforeNext / 1000)),
      windowSeconds: this.windowSeconds,
    };
  }
}

/** Makes the window counters of one pool. */
export class WindowLimits {
  constructor(private readonly pool: pg.Pool) {}

  create(keyPrefix: string, limit: number, windowSeconds: number, refusal: string): WindowLimit {
    return new WindowLimit(this.pool, keyPrefix, limit, windowSeconds, refusal);
  }
}
