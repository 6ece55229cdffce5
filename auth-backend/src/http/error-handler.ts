import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, CancelledError } from '../errors';
import { translateDatabaseError } from '../db/database-errors';
import { translateDataException } from '../db/data-exception';
import { sendProblem } from './problem';

/** body-parser failures carry a `type`; each gets its own client error. */
function fromBodyParser(error: { type?: string; status?: number }): AppError | undefined {
  switch (error.type) {
    case 'entity.parse.failed':
      return new AppError('malformed_json', 'The request body is not valid JSON.');
    case 'entity.too.large':
      return new AppError('payload_too_large', 'The request body is larger than 16 KiB.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupported_media_type', 'The request body must be UTF-8 JSON.');
    case 'entity.not.utf8':
      return new AppError('malformed_json', 'The request body is not valid UTF-8.');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new AppError('validation_failed', 'The request body could not be read.');
    default:
      return undefined;
  }
}

/**
 * Other errors that Express's own modules raise with an explicit 4xx status (http-errors style:
 * a corrupt gzip/deflate/br body, a path parameter that is not valid percent-encoding). Each is
 * the client's fault; errors without such a status stay a bare 500.
 */
function fromClientError(error: { status?: unknown; statusCode?: unknown }): AppError | undefined {
  const status = typeof error.status === 'number' ? error.status : error.statusCode;
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  if (status === 413) return new AppError('payload_too_large', 'The request body is larger than 16 KiB.');
  if (status === 415) return new AppError('unsupported_media_type', 'The request body must be UTF-8 JSON.');
  if (status === 404) return new AppError('not_found', 'Not found.');
  return new AppError('bad_request', 'The request could not be read (a corrupt body or a malformed URL).');
}

/** The one error handler: known errors become problem bodies, anything else a bare 500. */
export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  if (error instanceof CancelledError) {
    // The client disconnected while its request waited: nobody to answer.
    req.log.info({ reason: 'client-gone' }, 'request abandoned by the client');
    res.end();
    return;
  }
  const known = error instanceof AppError ? error : (fromBodyParser(error) ?? translateDatabaseError(error) ?? fromClientError(error));
  const dataException = known ? undefined : translateDataException(error);
  if (dataException) {
    // The SQLSTATE only: PostgreSQL's message quotes the refused value, which may be a secret.
    const sqlState = (error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
    req.log.warn({ sqlState, code: dataException.code }, 'the database refused a value that validation let through');
    if (res.headersSent) res.end();
    else sendProblem(res, dataException);
    return;
  }
  if (known) {
    if (known.status >= 500) req.log.error({ err: error, code: known.code }, 'request failed');
    sendProblem(res, known);
    return;
  }
  req.log.error({ err: error }, 'unhandled error');
  if (res.headersSent) {
    res.end();
    return;
  }
  sendProblem(res, new AppError('internal', 'An unexpected error occurred.'));
};

/** Paths longer than this are cut in 404 details: the answer never echoes kilobytes of input. */
const ECHOED_PATH_MAX = 100;

export const notFound: RequestHandler = (req, _res, next) => {
  const path = req.path.length > ECHOED_PATH_MAX ? `${req.path.slice(0, ECHOED_PATH_MAX)}... (${req.path.length} characters)` : req.path;
  next(new AppError('not_found', `No route for ${req.method} ${path}.`));
};
