/**
 * Slow clients (finding 7 of issue 13) against the built service with short timeouts: incomplete
 * headers, a trickle of header bytes, an incomplete body and an idle keep-alive connection each
 * lose their connection once their timeout passes, not minutes later.
 */
import net from 'node:net';
import { loadConfig } from '../../src/config/config';
import { parseResponse } from '../support/raw-http';
import { startBuiltService, type RunningService } from '../support/running-service';

jest.setTimeout(120_000);

const HEADERS_TIMEOUT = 2;
const REQUEST_TIMEOUT = 3;
const KEEPALIVE_TIMEOUT = 1;
/** Node checks the request and headers timeouts once a second; a loaded machine adds more. */
const LATE_MARGIN_MS = 8_000;

let service: RunningService;
beforeAll(async () => {
  service = await startBuiltService({
    HTTP_HEADERS_TIMEOUT: String(HEADERS_TIMEOUT),
    HTTP_REQUEST_TIMEOUT: String(REQUEST_TIMEOUT),
    HTTP_KEEPALIVE_TIMEOUT: String(KEEPALIVE_TIMEOUT),
  });
});
afterAll(() => service?.stop());

/** Opens a connection, lets `talk` write to it, and resolves when the server closes it. */
function untilServerCloses(talk: (socket: net.Socket) => void): Promise<{ afterMs: number; response: ReturnType<typeof parseResponse> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(service.port, '127.0.0.1');
    let started = 0;
    let received = '';
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error('the server kept the connection open for 60 s'));
    }, 60_000);
    socket.on('connect', () => {
      started = Date.now();
      talk(socket);
    });
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(guard);
      resolve({ afterMs: Date.now() - started, response: parseResponse(received) });
    });
  });
}

describe('slow clients', () => {
  it('closes a connection whose headers never end, with 408, after HTTP_HEADERS_TIMEOUT', async () => {
    const { afterMs, response } = await untilServerCloses((socket) => socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
    expect(response.status).toBe(408);
    expect(afterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT * 1000 - 200);
    expect(afterMs).toBeLessThan(HEADERS_TIMEOUT * 1000 + LATE_MARGIN_MS);
  });

  it('closes a connection that trickles header bytes (slowloris) after HTTP_HEADERS_TIMEOUT, though bytes keep coming', async () => {
    let timer: NodeJS.Timeout | undefined;
    const { afterMs } = await untilServerCloses((socket) => {
      socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      timer = setInterval(() => socket.writable && socket.write('X-Slow: a\r\n'), 300);
    });
    clearInterval(timer);
    expect(afterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT * 1000 - 200);
    expect(afterMs).toBeLessThan(HEADERS_TIMEOUT * 1000 + LATE_MARGIN_MS);
  });

  it('closes a connection whose body never arrives in full, with 408, after HTTP_REQUEST_TIMEOUT', async () => {
    const { afterMs, response } = await untilServerCloses((socket) =>
      socket.write('POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email":'),
    );
    expect(response.status).toBe(408);
    expect(afterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT * 1000 - 200);
    expect(afterMs).toBeLessThan(REQUEST_TIMEOUT * 1000 + LATE_MARGIN_MS);
  });

  it('answers a complete request, then closes the idle keep-alive connection after HTTP_KEEPALIVE_TIMEOUT', async () => {
    const { afterMs, response } = await untilServerCloses((socket) => socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    expect(response.status).toBe(200);
    expect(response.headers['keep-alive']).toBe(`timeout=${KEEPALIVE_TIMEOUT}`);
    expect(afterMs).toBeGreaterThanOrEqual(KEEPALIVE_TIMEOUT * 1000 - 200);
    expect(afterMs).toBeLessThan(KEEPALIVE_TIMEOUT * 1000 + LATE_MARGIN_MS);
  });
});

describe('HTTP timeout configuration', () => {
  const base = { DATABASE_URL: 'postgresql://localhost/x' };

  it('defaults to 30 s per request, 10 s for headers and 5 s idle keep-alive', () => {
    expect(loadConfig(base).http.timeouts).toEqual({ request: 30, headers: 10, keepAlive: 5 });
  });

  it('refuses a headers timeout longer than the request timeout, and a malformed one, with one line each', () => {
    expect(() => loadConfig({ ...base, HTTP_REQUEST_TIMEOUT: '5', HTTP_HEADERS_TIMEOUT: '10' })).toThrow(
      /HTTP_HEADERS_TIMEOUT: must not exceed HTTP_REQUEST_TIMEOUT/,
    );
    expect(() => loadConfig({ ...base, HTTP_KEEPALIVE_TIMEOUT: 'soon' })).toThrow(/HTTP_KEEPALIVE_TIMEOUT: expected seconds/);
    expect(() => loadConfig({ ...base, HTTP_REQUEST_TIMEOUT: '0' })).toThrow(/HTTP_REQUEST_TIMEOUT/);
  });
});
