import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger';

export interface RunningServer {
  server: http.Server;
  port: number;
  /**
   * From now on every response carries `Connection: close`, so that keep-alive clients (a load
   * balancer, a kube-proxy'd client) open their next request elsewhere instead of meeting a closed socket.
   */
  stopKeepAlive(): void;
  /** Stops accepting, lets in-flight requests finish (bounded), then closes what is left. */
  close(): Promise<void>;
}

/** Seconds (HTTP_REQUEST_TIMEOUT, HTTP_HEADERS_TIMEOUT, HTTP_KEEPALIVE_TIMEOUT). */
export interface ServerTimeouts {
  request: number;
  headers: number;
  keepAlive: number;
}

export const DEFAULT_TIMEOUTS: ServerTimeouts = { request: 30, headers: 10, keepAlive: 5 };

export function startServer(
  app: http.RequestListener,
  options: { port: number; host: string; shutdownTimeoutSeconds: number; logger: Logger; timeouts?: ServerTimeouts },
): Promise<RunningServer> {
  const { logger, timeouts = DEFAULT_TIMEOUTS } = options;
  // A client that sends its headers or body too slowly gets 408 and loses the connection; an idle
  // keep-alive connection is closed. Node checks the first two only every connectionsCheckingInterval
  // (30 s by default, which let a slow client hold a socket for minutes): check every second instead.
  const server = http.createServer({
    requestTimeout: timeouts.request * 1000,
    headersTimeout: timeouts.headers * 1000,
    connectionsCheckingInterval: Math.min(1000, timeouts.headers * 500),
  });
  server.keepAliveTimeout = timeouts.keepAlive * 1000;
  let keepAlive = true;
  server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
    if (!keepAlive) response.setHeader('Connection', 'close');
    app(request, response);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      const port = (server.address() as AddressInfo).port;
      logger.info({ port, host: options.host }, 'HTTP server listening');
      resolve({
        server,
        port,
        stopKeepAlive: () => void (keepAlive = false),
        close: () => {
          keepAlive = false;
          return drain(server, options.shutdownTimeoutSeconds, logger);
        },
      });
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
