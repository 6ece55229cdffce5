/**
 * Loaded by prisma.config.ts, so it runs inside every Prisma CLI process (ours and operators').
 *
 * The JavaScript schema engine arms a 10 s timer (the timeout of its advisory lock) through
 * `setTimeout` and never clears it, so every `migrate deploy` lingered 10 s after finishing.
 * Long timers are unref'd: they still fire while the command has work in flight (its sockets
 * keep the process alive), but no longer hold a finished command open.
 */
const LONG_TIMER_MS = 5000;
const marker = Symbol.for('auth-backend.unrefLongTimers');
const holder = globalThis as unknown as Record<symbol, boolean>;

export function unrefLongTimers(): void {
  if (holder[marker]) return;
  holder[marker] = true;
  const original = globalThis.setTimeout;
  const patched = ((callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) => {
    const timer = original(callback, delay, ...args);
    if ((delay ?? 0) >= LONG_TIMER_MS) timer.unref();
    return timer;
  }) as typeof setTimeout;
  globalThis.setTimeout = Object.assign(patched, original);
}
