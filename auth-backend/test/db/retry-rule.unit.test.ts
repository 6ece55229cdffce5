import { mayRetry } from '../../src/db/retry-rule';

/** An error as pg raises it: a server error has a SQLSTATE `code`, a socket error a Node `code`. */
const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

const shutdown = pgError('57P01', 'terminating connection due to administrator command');
const cannotConnectNow = pgError('57P03', 'the database system is shutting down');
const readOnly = pgError('25006', 'cannot execute INSERT in a read-only transaction');
const reset = pgError('ECONNRESET', 'read ECONNRESET');
const refused = pgError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:5432');
const terminated = new Error('Connection terminated unexpectedly');
const notQueryable = new Error('Client has encountered a connection error and is not queryable');
const uniqueViolation = pgError('23505', 'duplicate key value violates unique constraint "user_email_key"');
const serialization = pgError('40001', 'could not serialize access');

describe('mayRetry: when a failed database call runs once more on a new connection', () => {
  it('retries any failure to connect caused by the server going away or being read-only', () => {
    for (const error of [refused, cannotConnectNow, shutdown, terminated, pgError('ETIMEDOUT'), new Error('timeout exceeded when trying to connect')])
      expect(mayRetry(error, 'connect')).toBe(true);
  });

  it('retries a transaction that failed before its COMMIT was sent: shutdown, read-only, reset, closed', () => {
    for (const error of [shutdown, cannotConnectNow, readOnly, reset, terminated, notQueryable, pgError('08006')])
      expect(mayRetry(error, 'statement')).toBe(true);
  });

  it('never retries a COMMIT (or a statement sent alone) whose outcome was lost with its connection', () => {
    for (const error of [shutdown, reset, terminated, pgError('08006'), pgError('57P02')]) expect(mayRetry(error, 'commit')).toBe(false);
  });

  it('retries a statement sent alone only when it provably never ran: refused as read-only, or never sent', () => {
    expect(mayRetry(readOnly, 'commit')).toBe(true);
    expect(mayRetry(notQueryable, 'commit')).toBe(true);
    expect(mayRetry(new Error('Client was closed and is not queryable'), 'commit')).toBe(true);
  });

  it('never retries what the database decided: constraint violations, serialization failures, bugs', () => {
    for (const at of ['connect', 'statement', 'commit'] as const)
      for (const error of [uniqueViolation, serialization, new TypeError('x is undefined'), 'a string', undefined, null])
        expect(mayRetry(error, at)).toBe(false);
  });

  it('looks through a wrapping error to its cause', () => {
    const wrapped = Object.assign(new Error('register failed'), { cause: readOnly });
    expect(mayRetry(wrapped, 'statement')).toBe(true);
    expect(mayRetry(Object.assign(new Error('x'), { cause: uniqueViolation }), 'statement')).toBe(false);
  });
});
