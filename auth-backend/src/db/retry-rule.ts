/**
 * When a failed database call may run again, once, on a new connection (docs/decisions/0029-patroni-etcd.md).
 * A failover or switchover shuts the old primary's connections down (57P01, a reset or closed connection),
 * refuses new ones for a moment (57P03, refused, closed by the balancer), and a server still finishing its
 * promotion is read-only for a moment (25006). Whether running the call again is safe depends on one
 * thing: could the server have committed it?
 * - `connect`: no connection was made; nothing was sent.
 * - `statement`: a statement of a transaction whose COMMIT was not sent yet. A transaction that never sent
 *   its COMMIT commits nothing when its connection dies: safe, whatever the server had done.
 * - `commit`: the COMMIT of a transaction, or a statement sent alone (it commits by itself). When the
 *   connection is lost now, the server may have committed (a synchronous commit waits for the standby:
 *   a shutdown then cuts the wait, "committed locally"): running it again could write twice. Only a
 *   statement that provably never ran is safe: refused as read-only (25006, checked before any change),
 *   or never sent because the client already knew its connection was broken.
 */
export type FailedAt = 'connect' | 'statement' | 'commit';

// The server is going away or not accepting connections: admin/crash shutdown, cannot connect now,
// connection exceptions (class 08).
const SERVER_GONE_CODES = /^(57P01|57P02|57P03|08...)$/;
const READ_ONLY = '25006';
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
const LOST_MESSAGES = /connection terminated|server closed the connection|timeout exceeded when trying to connect|not queryable/i;
// pg's own refusals to send anything on a connection it knows is broken or closed.
const NOT_SENT_MESSAGES = /Client has encountered a connection error and is not queryable|Client was closed and is not queryable/;

interface ErrorFields {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

function someInChain(error: unknown, test: (fields: ErrorFields) => boolean, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const fields = error as ErrorFields;
  return test(fields) || (fields.cause !== undefined && fields.cause !== error && someInChain(fields.cause, test, depth + 1));
}

const code = (fields: ErrorFields) => (typeof fields.code === 'string' ? fields.code : '');
const message = (fields: ErrorFields) => (typeof fields.message === 'string' ? fields.message : '');

/** The server refused the statement because it is read-only (a standby, or a primary not yet promoted). */
export function isReadOnly(error: unknown): boolean {
  return someInChain(error, (fields) => code(fields) === READ_ONLY);
}

/** The connection or the server went away, or no connection could be made. */
export function isConnectionLost(error: unknown): boolean {
  return someInChain(error, (fields) => SERVER_GONE_CODES.test(code(fields)) || NETWORK_CODES.has(code(fields)) || LOST_MESSAGES.test(message(fields)));
}

function neverSent(error: unknown): boolean {
  return someInChain(error, (fields) => NOT_SENT_MESSAGES.test(message(fields)));
}

/** Whether a call that failed with `error` at `at` may be run again once, on a new connection. */
export function mayRetry(error: unknown, at: FailedAt): boolean {
  if (at === 'commit') return isReadOnly(error) || neverSent(error);
  return isReadOnly(error) || isConnectionLost(error);
}
