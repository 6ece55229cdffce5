/**
 * When a failed webhook attempt is tried again (WEBHOOK_RETRY_SCHEDULE): entry k is the wait after
 * attempt k, so N entries mean N + 1 attempts; each wait is jittered by up to ±20% so that the
 * retries of many deliveries that failed together (an endpoint's outage) do not return together.
 */
export const JITTER = 0.2;

/** The wait after failed attempt `attempt` (1-based), ms, or undefined when it was the last. */
export function retryDelayMs(schedule: readonly number[], attempt: number, random: () => number = Math.random): number | undefined {
  const base = schedule[attempt - 1];
  if (base === undefined) return undefined;
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}
