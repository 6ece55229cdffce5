/**
 * The drain a load balancer relies on (SHUTDOWN_DELAY, docs/operations.md "Running many replicas"):
 * on SIGTERM /ready answers 503 at once, the service keeps serving for SHUTDOWN_DELAY with each
 * response closing its keep-alive connection, then finishes what is in flight and exits 0. The built
 * entrypoint, spawned against a fresh database.
 */
import http from 'node:http';
import { createTestDatabase } from '../support/test-database';
import { makeAppRoot } from '../support/app-root';
import { spawnService } from '../support/service-process';

jest.setTimeout(90_000);

const get = (port: number, pathname: string, agent: http.Agent | false) =>
  new Promise<{ status: number; connection: string | undefined; socketReused: boolean }>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, socketReused: req.reusedSocket }));
    });
    req.on('error', reject);
  });

describe('SIGTERM with SHUTDOWN_DELAY', () => {
  it('answers /ready 503 at once, keeps serving (closing keep-alive connections) for the delay, then exits 0', async () => {
    const db = await createTestDatabase({ migrated: true });
    const root = makeAppRoot({ migrations: 'project' });
    const service = spawnService({ DATABASE_URL: db.url, APP_ROOT: root.dir, SHUTDOWN_DELAY: '2' });
    try {
      const port = await service.waitForPort();
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      expect(await get(port, '/ready', agent)).toMatchObject({ status: 200, connection: 'keep-alive' });

      const signalled = Date.now();
      service.child.kill('SIGTERM');
      await service.waitForLog(/readiness fails now, serving 2s more/);
      // The kept-alive connection gets an answer, and is told to close.
      expect(await get(port, '/ready', agent)).toMatchObject({ status: 503, connection: 'close', socketReused: true });
      // New connections are still accepted and served during the delay.
      expect(await get(port, '/health', false)).toMatchObject({ status: 200, connection: 'close' });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(await get(port, '/health', agent)).toMatchObject({ status: 200, connection: 'close', socketReused: false });

      expect(await service.exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalled).toBeGreaterThanOrEqual(2000);
      expect(service.output()).toMatch(/shutdown complete/);
      agent.destroy();
    } finally {
      await service.stop('SIGKILL');
      root.remove();
      await db.drop();
    }
  });
});
