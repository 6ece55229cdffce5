/**
 * One HTTP attempt of a webhook: POST the body with its headers, no redirect followed (a 3xx is
 * a failure), any 2xx is success, a time limit on the whole exchange. Connections go through the
 * SSRF guard's DNS lookup (webhooks/url-guard.ts) and are kept alive per origin, so a busy
 * endpoint costs no handshake per delivery.
 */
import http from 'node:http';
import https from 'node:https';
import type { UrlGuard } from './url-guard';

export type AttemptResult = { ok: true; status: number } | { ok: false; status: number | null; reason: string };

/** The response body read at most (it is discarded; a receiver's answer says nothing we keep). */
const MAX_RESPONSE_BYTES = 64 * 1024;

export class WebhookSender {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(
    private readonly guard: UrlGuard,
    private readonly timeoutMs: number,
  ) {
    const options = { keepAlive: true, maxSockets: 64, lookup: guard.lookup };
    this.httpAgent = new http.Agent(options);
    this.httpsAgent = new https.Agent(options);
  }

  async send(target: string, headers: Record<string, string>, body: string): Promise<AttemptResult> {
    let url: URL;
    try {
      url = new URL(target);
      await this.guard.checkConnection(url);
    } catch (error) {
      return { ok: false, status: null, reason: `refused: ${error instanceof Error ? error.message : String(error)}` };
    }
    return new Promise<AttemptResult>((resolve) => {
      const secure = url.protocol === 'https:';
      const request = (secure ? https : http).request(url, {
        method: 'POST',
        agent: secure ? this.httpsAgent : this.httpAgent,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'auth-backend-webhooks' },
      });
      const timer = setTimeout(() => request.destroy(Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' })), this.timeoutMs);
      const done = (result: AttemptResult) => {
        clearTimeout(timer);
        resolve(result);
      };
      request.on('error', (error: NodeJS.ErrnoException) => {
        const refused = error.name === 'RefusedUrl' ? 'refused: ' : '';
        done({ ok: false, status: null, reason: `${refused}${error.code && !refused ? `${error.code}: ` : ''}${error.message}`.slice(0, 300) });
      });
      request.on('response', (response) => {
        const status = response.statusCode ?? 0;
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) response.destroy();
        });
        const settle = () =>
          done(
            status >= 200 && status < 300
              ? { ok: true, status }
              : { ok: false, status, reason: `HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}` },
          );
        response.on('end', settle);
        response.on('close', settle);
        response.on('error', settle);
      });
      request.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
