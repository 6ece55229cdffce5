import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, CancelledError } from '../errors';
import { translateDatabaseError } from '../db/database-errors';
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
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new AppError('validation_failed', 'The request body could not be read.');
    default:
      return undefined;
  }
}

/** The one error handler: known errors become problem bodies, anything else a bare 500. */
export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  if (error instanceof CancelledError) {
    // The client disconnected while its request waited: nobody to answer.
    req.log.info({ reason: 'client-gone' }, 'request abandoned by the client');
    res.end();
    return;
  }
  const known = error instanceof AppError ? error : (fromBodyParser(error) ?? translateDatabaseError(error));
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

export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `No route for ${req.method} ${req.path}.`));
};
