import { AppError } from '../errors';

// Connection-level failures: the database is down, restarting or unreachable.
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
const UNAVAILABLE_MESSAGES =
  /connection terminated|timeout exceeded when trying to connect|Connection terminated|server closed the connection|Client has encountered a connection error|cannot use a pool after calling end/i;

/** Maps failures of the database itself to a 503 AppError; undefined for anything else. */
export function translateDatabaseError(error: unknown): AppError | undefined {
  // Duck-typed: errors from Node's net module may come from another realm than our Error.
  if (typeof error !== 'object' || error === null) return undefined;
  const fields = error as { code?: unknown; cause?: unknown; message?: unknown };
  const code = typeof fields.code === 'string' ? fields.code : '';
  const unavailable =
    UNAVAILABLE_NODE_CODES.has(code) ||
    /^(08|57P)/.test(code) || // connection exceptions, admin shutdown / crash shutdown / cannot connect now
    code === '25006' || // read-only: a standby, or a primary still finishing its promotion (a failover)
    (typeof fields.message === 'string' && UNAVAILABLE_MESSAGES.test(fields.message)) ||
    (fields.cause !== undefined && fields.cause !== error && translateDatabaseError(fields.cause) !== undefined);
  return unavailable ? new AppError('database_unavailable', 'The database is unavailable; try again shortly.', { retryAfterSeconds: 5 }) : undefined;
}

/** A unique violation from raw SQL (23505), the counterpart of Prisma's P2002; `constraint` narrows it. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const fields = error as { code?: unknown; constraint?: unknown };
  return fields.code === '23505' && (constraint === undefined || fields.constraint === constraint);
}
