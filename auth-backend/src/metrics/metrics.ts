/**
 * The Prometheus metrics of the service (docs/api.md, "GET /metrics"), on a registry of
 * its own. Request durations and login outcomes are counted as they happen; the gauges read
 * their sources when scraped (the outbox with one indexed statement, the rest from memory).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Clock } from '../clock';

export interface MetricSources {
  clock: Clock;
  /** Pending messages and the creation time of the oldest. */
  outbox: () => Promise<{ depth: number; oldest: Date | null }>;
  /** Hashes and verifications waiting for a hashing thread. */
  hashingQueueDepth: () => number;
  /** The database pool: connections open, idle, and requests waiting for one. */
  pool: () => { total: number; idle: number; waiting: number };
  /** When the current signing key started signing; absent with HS256 (JWT_SECRET has no age the service knows). */
  signingKeyActivatedAt?: () => Date | undefined;
  /** v4: pending webhook deliveries (of enabled endpoints) and the creation time of the oldest. */
  webhooks?: () => Promise<{ depth: number; oldest: Date | null }>;
}

export type LoginOutcome = 'success' | 'failure' | 'disabled' | 'throttled' | 'unverified';

/** Methods outside this set (Node accepts ~34) share one label value. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** The route label of a request no endpoint matched (404, 405, docs assets): never the raw path. */
export const UNMATCHED_ROUTE = 'unmatched';

export class Metrics {
  readonly registry = new Registry();
  private readonly durations: Histogram<'method' | 'route' | 'status'>;
  private readonly logins: Counter<'outcome'>;
  private readonly webhookDeliveries: Counter<'outcome'>;
  private readonly breachCheckErrors: Counter;
  /** One child per (method, route, status): observe() then skips hashing the labels. */
  private readonly children = new Map<string, { observe(value: number): void }>();

  constructor(private readonly sources: MetricSources) {
    const registers = [this.registry];
    this.durations = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Duration of HTTP requests by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.logins = new Counter({ name: 'auth_login_attempts_total', help: 'Password login attempts by outcome', labelNames: ['outcome'], registers });
    this.webhookDeliveries = new Counter({
      name: 'webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (delivered, retry, failed)',
      labelNames: ['outcome'],
      registers,
    });
    this.breachCheckErrors = new Counter({
      name: 'password_breach_check_errors_total',
      help: 'Breached-password checks that failed or took too long (the password was let through)',
      registers,
    });
    const { clock } = sources;
    if (sources.webhooks) {
      const webhooks = sources.webhooks;
      new Gauge({
        name: 'webhook_queue_depth',
        help: 'Webhook deliveries waiting (of enabled endpoints)',
        registers,
        async collect() {
          this.set((await webhooks()).depth);
        },
      });
      new Gauge({
        name: 'webhook_queue_oldest_age_seconds',
        help: 'Age of the oldest webhook delivery waiting (0 when none waits)',
        registers,
        async collect() {
          const { oldest } = await webhooks();
          this.set(oldest ? Math.max(0, (clock().getTime() - oldest.getTime()) / 1000) : 0);
        },
      });
    }
    new Gauge({
      name: 'mail_outbox_depth',
      help: 'Messages waiting in the mail outbox',
      registers,
      async collect() {
        const { depth } = await sources.outbox();
        this.set(depth);
      },
    });
    new Gauge({
      name: 'mail_outbox_oldest_age_seconds',
      help: 'Age of the oldest message waiting in the mail outbox (0 when none waits)',
      registers,
      async collect() {
        const { oldest } = await sources.outbox();
        this.set(oldest ? Math.max(0, (clock().getTime() - oldest.getTime()) / 1000) : 0);
      },
    });
    new Gauge({
      name: 'hashing_queue_depth',
      help: 'Password hashes and verifications waiting for a hashing thread',
      registers,
      collect() {
        this.set(sources.hashingQueueDepth());
      },
    });
    new Gauge({
      name: 'db_pool_connections',
      help: 'Database pool connections by state (total, idle), and requests waiting for one (waiting)',
      labelNames: ['state'],
      registers,
      collect() {
        const { total, idle, waiting } = sources.pool();
        this.set({ state: 'total' }, total);
        this.set({ state: 'idle' }, idle);
        this.set({ state: 'waiting' }, waiting);
      },
    });
    if (sources.signingKeyActivatedAt) {
      const activatedAt = sources.signingKeyActivatedAt;
      new Gauge({
        name: 'signing_key_age_seconds',
        help: 'Seconds since the current access-token signing key started signing',
        registers,
        collect() {
          const since = activatedAt();
          if (since) this.set(Math.max(0, (clock().getTime() - since.getTime()) / 1000));
        },
      });
    }
  }

  /** The Node.js process metrics (CPU, memory, event loop, GC); called once, when the metrics server starts. */
  collectProcessMetrics(): void {
    collectDefaultMetrics({ register: this.registry });
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let child = this.children.get(key);
    if (!child) {
      child = this.durations.labels(METHODS.has(method) ? method : 'OTHER', route, String(status));
      this.children.set(key, child);
    }
    child.observe(seconds);
  }

  loginAttempt(outcome: LoginOutcome): void {
    this.logins.inc({ outcome });
  }

  webhookDelivery(outcome: 'delivered' | 'retry' | 'failed'): void {
    this.webhookDeliveries.inc({ outcome });
  }

  breachCheckError(): void {
    this.breachCheckErrors.inc();
  }
}
