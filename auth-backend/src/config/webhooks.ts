/**
 * Webhooks, security notifications and the breached-password check (v4), read by loadConfig
 * (config.ts) from the environment: each variable is described in .env.example and
 * docs/operations.md. Problems are collected one line per variable, as the rest of the config does.
 */
import { parseDurationSeconds } from './duration';

export interface WebhookConfig {
  /** WEBHOOK_ALLOW_INSECURE: http and internal addresses allowed (development and tests only: unsafe). */
  readonly allowInsecure: boolean;
  /** WEBHOOK_RETRY_SCHEDULE: the wait before each further attempt, ms (N entries: N + 1 attempts). */
  readonly retryScheduleMs: readonly number[];
  /** WEBHOOK_DISABLE_AFTER: an endpoint failing every attempt for this long is disabled, seconds. */
  readonly disableAfterSeconds: number;
  /** WEBHOOK_TIMEOUT: one attempt's limit, ms. */
  readonly timeoutMs: number;
  /** WEBHOOK_CONCURRENCY / WEBHOOK_CONCURRENCY_PER_ENDPOINT: deliveries at once per process, and per endpoint. */
  readonly concurrency: number;
  readonly perEndpoint: number;
  /** WEBHOOK_POLL_INTERVAL: how often the worker looks when no notification came, ms. */
  readonly pollIntervalMs: number;
}

export interface NotificationConfig {
  /** NOTIFY_NEW_SIGN_IN: mail the user after a sign-in from a device unseen for 90 days. */
  readonly newSignIn: boolean;
}

export interface BreachCheckConfig {
  /** PASSWORD_BREACH_CHECK: off, or block (a breached password is refused). */
  readonly mode: 'off' | 'block';
  /** PASSWORD_BREACH_API: the range API's base URL; the five-hex-digit prefix is appended. */
  readonly apiUrl: string;
  /** PASSWORD_BREACH_TIMEOUT: past it the check lets the password through, ms. */
  readonly timeoutMs: number;
}

/** The variables this module reads (config.ts lists them with its own, for .env.example's test). */
export const V4_VARIABLES = [
  'WEBHOOK_ALLOW_INSECURE',
  'WEBHOOK_RETRY_SCHEDULE',
  'WEBHOOK_DISABLE_AFTER',
  'WEBHOOK_TIMEOUT',
  'WEBHOOK_CONCURRENCY',
  'WEBHOOK_CONCURRENCY_PER_ENDPOINT',
  'WEBHOOK_POLL_INTERVAL',
  'NOTIFY_NEW_SIGN_IN',
  'PASSWORD_BREACH_CHECK',
  'PASSWORD_BREACH_API',
  'PASSWORD_BREACH_TIMEOUT',
];

export const DEFAULT_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,10h';
export const PWNED_PASSWORDS_RANGE_API = 'https://api.pwnedpasswords.com/range/';

type Env = Record<string, string | undefined>;

/** `250ms`, or seconds / `15m` / `2h` / `5d`; undefined when malformed. */
export function parseMilliseconds(text: string): number | undefined {
  const ms = /^(\d+)\s*ms$/.exec(text.trim());
  if (ms) return Number(ms[1]);
  const seconds = parseDurationSeconds(text);
  return seconds === undefined ? undefined : seconds * 1000;
}

function value(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? fallback : raw.trim();
}

function duration(env: Env, name: string, fallback: string, minMs: number, problems: string[]): number {
  const text = value(env, name, fallback);
  const ms = parseMilliseconds(text);
  if (ms === undefined || ms < minMs) {
    problems.push(`${name}: expected a duration like 500ms, 10s, 15m, 5d (at least ${minMs}ms), got "${text}"`);
    return minMs;
  }
  return ms;
}

function flag(env: Env, name: string, fallback: boolean, problems: string[]): boolean {
  const text = value(env, name, String(fallback)).toLowerCase();
  if (['true', '1', 'yes'].includes(text)) return true;
  if (['false', '0', 'no'].includes(text)) return false;
  problems.push(`${name}: expected true or false, got "${text}"`);
  return fallback;
}

function whole(env: Env, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const text = value(env, name, String(fallback));
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    problems.push(`${name}: must be a whole number from ${min} to ${max}, got "${text}"`);
    return fallback;
  }
  return Number(text);
}

export function parseWebhookConfig(env: Env, problems: string[]): WebhookConfig {
  const scheduleText = value(env, 'WEBHOOK_RETRY_SCHEDULE', DEFAULT_RETRY_SCHEDULE);
  const schedule = scheduleText === 'none' ? [] : scheduleText.split(',').map((entry) => parseMilliseconds(entry));
  if (schedule.some((ms) => ms === undefined || ms < 10) || schedule.length > 50)
    problems.push(`WEBHOOK_RETRY_SCHEDULE: expected comma-separated durations like 5s,5m,30m (at most 50), or none, got "${scheduleText}"`);
  return {
    allowInsecure: flag(env, 'WEBHOOK_ALLOW_INSECURE', false, problems),
    retryScheduleMs: schedule.map((ms) => ms ?? 10),
    disableAfterSeconds: duration(env, 'WEBHOOK_DISABLE_AFTER', '5d', 1000, problems) / 1000,
    timeoutMs: duration(env, 'WEBHOOK_TIMEOUT', '10s', 100, problems),
    concurrency: whole(env, 'WEBHOOK_CONCURRENCY', 64, 1, 1000, problems),
    perEndpoint: whole(env, 'WEBHOOK_CONCURRENCY_PER_ENDPOINT', 16, 1, 100, problems),
    pollIntervalMs: duration(env, 'WEBHOOK_POLL_INTERVAL', '2s', 10, problems),
  };
}

export function parseNotificationConfig(env: Env, problems: string[]): NotificationConfig {
  return { newSignIn: flag(env, 'NOTIFY_NEW_SIGN_IN', true, problems) };
}

export function parseBreachCheckConfig(env: Env, problems: string[]): BreachCheckConfig {
  const mode = value(env, 'PASSWORD_BREACH_CHECK', 'off');
  if (mode !== 'off' && mode !== 'block') problems.push(`PASSWORD_BREACH_CHECK: expected off or block, got "${mode}"`);
  const apiUrl = value(env, 'PASSWORD_BREACH_API', PWNED_PASSWORDS_RANGE_API);
  if (!/^https?:\/\/[^/\s]+/.test(apiUrl)) problems.push(`PASSWORD_BREACH_API: must be an http:// or https:// URL, got "${apiUrl}"`);
  return { mode: mode === 'block' ? 'block' : 'off', apiUrl, timeoutMs: duration(env, 'PASSWORD_BREACH_TIMEOUT', '2s', 10, problems) };
}
