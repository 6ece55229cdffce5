/**
 * Continuous user traffic against a published port, as many clients would send it: each worker loops
 * register -> login -> /auth/me -> refresh with a new account, half of the workers on one kept-alive
 * connection, half on a fresh connection per request. Every request is recorded with when it started
 * and ended and its status or connection error, so that a test can say what a rollout cost.
 */
import http from 'node:http';

export interface Outcome {
  route: string;
  keepAlive: boolean;
  startedAt: number;
  endedAt: number;
  status?: number;
  error?: string;
  /** The account a registration was for. */
  email?: string;
}

export interface TrafficSummary {
  requests: number;
  byRoute: Record<string, number>;
  keepAlive: number;
  fresh: number;
  status5xx: number;
  connectionErrors: number;
  /** Status code -> count, errors as `error:<code>`. */
  outcomes: Record<string, number>;
}

export class Traffic {
  readonly log: Outcome[] = [];
  private running = true;
  private readonly workers: Promise<void>[] = [];
  private readonly agents: http.Agent[] = [];
  private counter = 0;

  constructor(
    private readonly port: number,
    private readonly options: { workers: number; password?: string; tag: string },
  ) {
    for (let index = 0; index < options.workers; index++) {
      const keepAlive = index % 2 === 0;
      const agent = keepAlive ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : undefined;
      if (agent) this.agents.push(agent);
      this.workers.push(this.loop(index, agent));
    }
  }

  /** Requests in flight right now (started, not ended). */
  inFlight(): number {
    return this.pending;
  }

  async stop(): Promise<TrafficSummary> {
    this.running = false;
    await Promise.all(this.workers);
    for (const agent of this.agents) agent.destroy();
    return summarize(this.log);
  }

  private pending = 0;

  private async loop(worker: number, agent: http.Agent | undefined): Promise<void> {
    const password = this.options.password ?? 'a perfectly good passphrase';
    while (this.running) {
      const email = `${this.options.tag}.${worker}.${++this.counter}@example.com`;
      const registered = await this.send(agent, 'POST', '/auth/register', { email, password }, undefined, email);
      const loggedIn = registered.status === 201 ? await this.send(agent, 'POST', '/auth/login', { email, password }) : undefined;
      const tokens = loggedIn?.status === 200 ? (loggedIn.body as { accessToken: string; refreshToken: string }) : undefined;
      if (tokens) {
        await this.send(agent, 'GET', '/auth/me', undefined, tokens.accessToken);
        await this.send(agent, 'POST', '/auth/refresh', { refreshToken: tokens.refreshToken });
      } else {
        // Not serving (503 while the database is down): do not spin.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  private send(
    agent: http.Agent | undefined,
    method: string,
    route: string,
    body?: unknown,
    bearer?: string,
    email?: string,
  ): Promise<{ status?: number; body?: unknown }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const outcome: Outcome = { route: `${method} ${route}`, keepAlive: agent !== undefined, startedAt: Date.now(), endedAt: 0, email };
    this.pending++;
    return new Promise((resolve) => {
      const done = (result: { status?: number; error?: string; body?: unknown }) => {
        if (outcome.endedAt) return;
        this.pending--;
        outcome.endedAt = Date.now();
        outcome.status = result.status;
        outcome.error = result.error;
        this.log.push(outcome);
        resolve(result);
      };
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path: route,
          agent: agent ?? false,
          timeout: 30_000,
          headers: {
            ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
            ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = text;
            }
            done({ status: res.statusCode, body: parsed });
          });
          res.on('error', (error: NodeJS.ErrnoException) => done({ error: error.code ?? error.message }));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (error: NodeJS.ErrnoException) => done({ error: error.code ?? error.message }));
      req.end(payload);
    });
  }
}

export function summarize(log: Outcome[]): TrafficSummary {
  const outcomes: Record<string, number> = {};
  const byRoute: Record<string, number> = {};
  for (const entry of log) {
    const key = entry.error ? `error:${entry.error}` : String(entry.status);
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    byRoute[entry.route] = (byRoute[entry.route] ?? 0) + 1;
  }
  return {
    requests: log.length,
    byRoute,
    keepAlive: log.filter((entry) => entry.keepAlive).length,
    fresh: log.filter((entry) => !entry.keepAlive).length,
    status5xx: log.filter((entry) => (entry.status ?? 0) >= 500).length,
    connectionErrors: log.filter((entry) => entry.error).length,
    outcomes,
  };
}
