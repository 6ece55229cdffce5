// Run before every operator command that executes the built service (npm run db:check-migrations,
// users:set-role, keys:*, mail:status, secrets:reseal, ...): builds dist/ when it is missing or
// older than the sources, so that each command works as printed in a fresh clone after `npm ci`.
// In the container image (no tsconfig.build.json: dist/ is final) it does nothing.
// Plain JavaScript on purpose: it must run before anything is compiled.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(root, 'dist', '.built-at');

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

if (fs.existsSync(path.join(root, 'tsconfig.build.json'))) {
  const builtAt = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
  const sources = Math.max(newestSource(path.join(root, 'src')), fs.statSync(path.join(root, 'prisma', 'schema.prisma')).mtimeMs);
  if (sources > builtAt) {
    process.stderr.write('building the service first (dist/ is missing or older than src/): npm run build\n');
    const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    if (built.status !== 0) process.exit(built.status ?? 1);
  }
}
