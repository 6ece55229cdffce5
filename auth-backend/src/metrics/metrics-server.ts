/**
 * GET /metrics in the Prometheus text format, on a server of its own (METRICS_PORT, never the
 * public port). A worker of the lifecycle. A port that cannot be bound is logged as an error and
 * the service serves on without metrics: observability must not take the API down.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from '../lifecycle';
import type { Logger } from '../logger';
import type { Metrics } from './metrics';

export class MetricsServer implements Worker {
  readonly name = 'metrics-server';
  private server: http.Server | undefined;

  constructor(
    private readonly metrics: Metrics,
    private readonly options: { port: number; host: string },
    private readonly logger: Logger,
  ) {}

  /** The bound port (0 in the options picks one), once started. */
  get port(): number | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? (address as AddressInfo).port : undefined;
  }

  async start(): Promise<void> {
    this.metrics.collectProcessMetrics();
    const server = http.createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve) => {
      server.once('error', (error) => {
        this.logger.error({ err: error, port: this.options.port, host: this.options.host }, 'metrics server could not listen: serving without metrics');
        resolve();
      });
      server.listen(this.options.port, this.options.host, () => {
        this.server = server;
        this.logger.info({ port: this.port, host: this.options.host }, 'metrics server listening');
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.url?.split('?')[0] !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    try {
      const body = await this.metrics.registry.metrics();
      res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType }).end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      this.logger.error({ err: error }, 'metrics: collection failed');
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end('collection failed\n');
    }
  }
}
