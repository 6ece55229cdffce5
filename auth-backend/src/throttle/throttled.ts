import { AppError } from '../errors';

/** The one 429 of the service: every throttle (per IP, per account, per address) refuses with it. */
export const throttled = (detail: string, retryAfterSeconds: number, headers?: Record<string, string>) =>
  new AppError('throttled', detail, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)), ...(headers ? { headers } : {}) });
