import { AppError } from '../errors';

/**
 * PostgreSQL's "data exception" class (SQLSTATE 22...: a NUL or a byte sequence the encoding
 * refuses, a string too long for its column, text that is not a uuid or a number...) raised by a
 * value that came in with the request. Validation should have refused it first; when it did not,
 * the client still gets a 400 rather than a 500. The error handler logs it as a warning, since
 * it means a schema misses a rule.
 */
export function translateDataException(error: unknown): AppError | undefined {
  for (let cause = error, depth = 0; typeof cause === 'object' && cause !== null && depth < 3; cause = (cause as { cause?: unknown }).cause, depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code)) {
      return new AppError('bad_request', 'A value in the request cannot be stored (it is too long or not of the expected kind).');
    }
  }
  return undefined;
}
