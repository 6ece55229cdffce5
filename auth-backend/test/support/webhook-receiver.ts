/**
 * A real HTTP server on loopback that receives webhooks, for tests: it records every request
 * (headers and raw body) and answers what `respond` says (default 204).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  at: number;
  path: string;
  headers: Record<string, string>;
  body: string;
  json: {
    type: string;
    timestamp: string;
    data: { event: Record<string, unknown> & { type: string; userId: string | null }; user: Record<string, unknown> | null };
  };
}

/** What to answer one request: a status, or 'hang' (never answer). */
export type Response = number | 'hang' | { status: number; headers: Record<string, string> };

export interface WebhookReceiver {
  url: string;
  port: number;
  received: ReceivedWebhook[];
  respond: (request: ReceivedWebhook, index: number) => Response;
  stop(): Promise<void>;
}

export async function startWebhookReceiver(respond: WebhookReceiver['respond'] = () => 204): Promise<WebhookReceiver> {
  const hanging = new Set<http.ServerResponse>();
  const receiver: WebhookReceiver = {
    url: '',
    port: 0,
    received: [],
    respond,
    async stop() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: ReceivedWebhook['json'];
      try {
        json = JSON.parse(body) as ReceivedWebhook['json'];
      } catch {
        json = { type: '(not json)', timestamp: '', data: { event: { type: '', userId: null }, user: null } };
      }
      const received: ReceivedWebhook = { at: Date.now(), path: req.url ?? '', headers: req.headers as Record<string, string>, body, json };
      const index = receiver.received.push(received) - 1;
      const answer = receiver.respond(received, index);
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer;
      res.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}`;
  return receiver;
}
