import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot } from './compose-stack';

/**
 * Builds the compose file's backend image (auth-backend:local) from the code under test, once: a
 * user's first `docker-compose up -d` builds it when missing, but an image left by an earlier run
 * would otherwise be used as it is. Later builds of the same context (`up -d --build`) hit the cache.
 */
export function ensureBackendImage(): void {
  const started = Date.now();
  const build = spawnSync('docker', ['build', '--quiet', '--tag', 'auth-backend:local', path.join(repoRoot, 'auth-backend')], {
    encoding: 'utf8',
    timeout: 900_000,
  });
  if (build.status !== 0) throw new Error(`docker build of auth-backend failed:\n${build.stdout}\n${build.stderr}`);
  process.stderr.write(`auth-backend:local built in ${Math.round((Date.now() - started) / 1000)}s\n`);
}
