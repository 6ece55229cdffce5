import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const entrypoint = path.resolve(__dirname, '../../dist/entrypoint.js');

export interface ServiceProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Parsed JSON log lines so far. */
  logs(): Array<Record<string, unknown>>;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** The port once "HTTP server listening" was logged. */
  waitForPort(timeoutMs?: number): Promise<number>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns the built entrypoint (dist/entrypoint.js) with its own environment. */
export function spawnService(env: Record<string, string | undefined>, options: { detached?: boolean } = {}): ServiceProcess {
  const child = spawn(process.execPath, [entrypoint], {
    // detached: its own process group, so a test can kill it with its children (like a container).
    detached: options.detached ?? false,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      BCRYPT_COST: '10',
      SHUTDOWN_DELAY: '0',
      METRICS_PORT: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: Array<() => void> = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const notify of waiters.splice(0)) notify();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let hasExited = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      hasExited = true;
      resolve({ code, signal });
      for (const notify of waiters.splice(0)) notify();
    }),
  );

  const logs = () =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  const waitForLog = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output:\n${output}`)), timeoutMs);
      const check = () => {
        if (pattern.test(output)) {
          clearTimeout(timer);
          resolve();
        } else if (hasExited) {
          clearTimeout(timer);
          reject(new Error(`process exited before ${pattern}; output:\n${output}`));
        } else {
          waiters.push(check);
        }
      };
      check();
    });

  return {
    child,
    output: () => output,
    logs,
    waitForLog,
    async waitForPort(timeoutMs) {
      await waitForLog(/HTTP server listening/, timeoutMs);
      const line = logs().find((entry) => entry.msg === 'HTTP server listening');
      return line!.port as number;
    },
    exited,
    async stop(signal = 'SIGTERM') {
      if (!hasExited) child.kill(signal);
      return exited;
    },
  };
}
