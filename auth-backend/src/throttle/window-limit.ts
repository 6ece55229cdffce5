/**
 * One fixed-window counter in PostgreSQL (table rate_limit, via rate-limiter-flexible, which
 * writes that table and nothing else does): `limit` requests per key per `windowSeconds`, shared
 * by every replica. Login's per-IP limits and the mail endpoints' limits are each one of these,
 * made by WindowLimits, the one holder of the pool on this table's behalf.
 */
import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Worker } from '../lifecycle';
import { throttled } from './throttled';
import type { Fragment } from '../db/statement';

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
    this.limiter = limiterOn(pool, { keyPrefix, points: limit, duration: windowSeconds });
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

  /**
   * consume() as a fragment of another statement, for a hot path whose whole work is one statement
   * (a passkey sign-in, a second factor's answer): the very upsert the library runs for consume() (rate-limiter-flexible
   * 8.3's 'rlflx-upsert' on this table, one point, its key and its epoch-millisecond expiry),
   * defining CTE `name` with a row when the request is within the limit. The statement must do
   * nothing when it has none (and fail, so that the count is not kept either); its caller then
   * calls consume(), which counts the request once and throws the 429.
   * test/throttle/login-throttle.test.ts holds the two to the same counts.
   */
  counting(key: string, name: string): Fragment {
    return (statement) => {
      const now = Date.now();
      const at = statement.bind(now);
      const expire = statement.bind(now + this.windowSeconds * 1000);
      return [
        {
          name: `${name}_count`,
          body: `INSERT INTO rate_limit (key, points, expire) VALUES (${statement.bind(this.limiter.getKey(key))}, 1, ${expire})
                   ON CONFLICT (key) DO UPDATE SET
                     points = CASE WHEN rate_limit.expire <= ${at} THEN 1 ELSE rate_limit.points + 1 END,
                     expire = CASE WHEN rate_limit.expire <= ${at} THEN ${expire} ELSE rate_limit.expire END
                 RETURNING points`,
        },
        { name, body: `SELECT 1 FROM ${name}_count WHERE points <= ${statement.bind(this.limit)}` },
      ];
    };
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

/**
 * A limiter on table rate_limit. The library's own pruning timer (one per limiter, started by its
 * constructor) is off: WindowLimits prunes the table once for all of them, as a lifecycle worker;
 * this module is the table's one home, the library's statements and the prune.
 */
const limiterOn = (pool: pg.Pool, options: { keyPrefix: string; points: number; duration: number }) =>
  new RateLimiterPostgres({ storeClient: pool, storeType: 'pool', tableName: 'rate_limit', tableCreated: true, clearExpiredByTimeout: false, ...options });

/** How often expired counters are deleted, and how long after expiry (the library's own values). */
const PRUNE_INTERVAL_MS = 5 * 60_000;
const PRUNE_AFTER_MS = 60 * 60_000;

/** Makes the window counters of one pool, and prunes their expired rows (a lifecycle worker). */
export class WindowLimits implements Worker {
  readonly name = 'rate-limit-pruner';
  private timer: NodeJS.Timeout | undefined;
  private pruning: Promise<void> | undefined;

  constructor(private readonly pool: pg.Pool) {}

  create(keyPrefix: string, limit: number, windowSeconds: number, refusal: string): WindowLimit {
    return new WindowLimit(this.pool, keyPrefix, limit, windowSeconds, refusal);
  }

  start(): void {
    this.timer = setInterval(() => {
      // A failed prune (database away) waits for the next one: nothing depends on it.
      this.pruning ??= this.prune()
        .catch(() => undefined)
        .finally(() => (this.pruning = undefined));
    }, PRUNE_INTERVAL_MS);
    this.timer.unref();
  }

  /** Deletes counters that expired over an hour ago (`expire` is the library's epoch milliseconds). */
  async prune(): Promise<void> {
    await this.pool.query('DELETE FROM rate_limit WHERE expire < $1', [Date.now() - PRUNE_AFTER_MS]);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.pruning;
  }
}
