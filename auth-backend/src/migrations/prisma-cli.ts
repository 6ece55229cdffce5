import { spawn, spawnSync } from 'node:child_process';
import { appRoot, prismaCliPath } from '../paths';
import type { Logger } from '../logger';

export interface CliResult {
  code: number;
  output: string;
}

/**
 * Runs the pinned Prisma CLI of this package with `node` (never npx, which could fetch another
 * version), from the app root so that prisma.config.ts is used. Output lines go to the log.
 */
export function runPrismaCli(args: string[], options: { databaseUrl: string; logger: Logger }): Promise<CliResult> {
  const root = appRoot();
  const command = `prisma ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [prismaCliPath(root), ...args], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: options.databaseUrl,
        CHECKPOINT_DISABLE: '1',
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      for (const line of output
        .split('\n')
        .map((text) => text.trimEnd())
        .filter(Boolean)) {
        options.logger.info({ cli: command }, line);
      }
      resolve({ code: code ?? (signal ? 128 : 1), output });
    });
  });
}

/**
 * The same CLI for our operator commands (db:migrate, db:resolve), its output going straight to
 * the terminal; `capture` returns stdout instead (stderr still shows).
 */
export function runPrismaCliSync(args: string[], options: { databaseUrl: string; capture?: boolean }): CliResult {
  const result = spawnSync(process.execPath, [prismaCliPath(), ...args], {
    cwd: appRoot(),
    env: { ...process.env, DATABASE_URL: options.databaseUrl, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    stdio: options.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
    encoding: 'utf8',
  });
  return { code: result.status ?? 1, output: result.stdout ?? '' };
}
