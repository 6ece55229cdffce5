import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Logger } from './logger';

export interface RunningServer {
  server: http.Server;
  port: number;
  /** Stops accepting, lets in-flight requests finish (bounded), then closes what is left. */
  close(): Promise<void>;
}

export function startServer(app: Express, options: { port: number; host: string; shutdownTimeoutSeconds: number; logger: Logger }): Promise<RunningServer> {
  const { logger } = options;
  const server = http.createServer(app);
  // Behind a proxy with keep-alive, close idle sockets before the proxy reuses them.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      const port = (server.address() as AddressInfo).port;
      logger.info({ port, host: options.host }, 'HTTP server listening');
      resolve({ server, port, close: () => drain(server, options.shutdownTimeoutSeconds, logger) });
    });
  });
}

function drain(server: http.Server, timeoutSeconds: number, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      logger.warn({ timeoutSeconds }, 'in-flight requests did not finish in time: closing their connections');
      server.closeAllConnections();
    }, timeoutSeconds * 1000);
    // Keep-alive sockets with no request in flight would otherwise hold close() open; a socket
    // whose request just finished becomes idle too, so sweep until everything is closed.
    const sweeper = setInterval(() => server.closeIdleConnections(), 100);
    server.close(() => {
      clearTimeout(timer);
      clearInterval(sweeper);
      resolve();
    });
    server.closeIdleConnections();
  });
}
