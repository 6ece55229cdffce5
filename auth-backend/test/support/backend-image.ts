import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot } from './compose-stack';

/**
 * Builds the compose file's images, the backend (auth-backend:local) and the database with pgBackRest
 * (auth-db:local), from the code under test, once: a user's first `docker-compose up -d` builds them
 * when missing, but images left by an earlier run would otherwise be used as they are. Later builds of
 * the same context (`up -d --build`) hit the cache.
 */
export function ensureBackendImage(): void {
  for (const [tag, context] of [
    ['auth-backend:local', 'auth-backend'],
    ['auth-db:local', 'docker/db'],
  ] as const) {
    const started = Date.now();
    const build = spawnSync('docker', ['build', '--quiet', '--tag', tag, path.join(repoRoot, context)], {
      encoding: 'utf8',
      timeout: 900_000,
    });
    if (build.status !== 0) throw new Error(`docker build of ${context} failed:\n${build.stdout}\n${build.stderr}`);
    process.stderr.write(`${tag} built in ${Math.round((Date.now() - started) / 1000)}s\n`);
  }
}
