import type { Response } from 'express';
import { ERRORS, type AppError } from '../errors';

/** Sends an RFC 9457 problem body; `errors` only for validation failures. */
export function sendProblem(res: Response, error: AppError): void {
  const { title } = ERRORS[error.code];
  const { status } = error;
  for (const [name, value] of Object.entries(error.extras.headers ?? {})) res.setHeader(name, value);
  if (error.extras.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(error.extras.retryAfterSeconds))));
  res
    .status(status)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        type: 'about:blank',
        title,
        status,
        detail: error.detail,
        // Stable machine-readable code (an RFC 9457 extension member): clients branch on it, not on titles.
        code: error.code,
        ...(error.extras.errors ? { errors: error.extras.errors } : {}),
      }),
    );
}
