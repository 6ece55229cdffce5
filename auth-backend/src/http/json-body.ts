/**
 * The JSON body parser, read only where a body means something. GET, HEAD and OPTIONS bodies are
 * never read (RFC 9110 gives them no meaning), so no body, however broken, can fail a health check.
 * Bodies must be UTF-8 (RFC 8259 section 8.1): other charsets answer 415 and bytes that are not
 * UTF-8 answer 400, instead of being decoded into U+FFFD (which would make distinct passwords equal).
 */
import { isUtf8 } from 'node:buffer';
import express, { type RequestHandler } from 'express';

export const BODY_LIMIT = '16kb';

const METHODS_WITH_BODIES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Thrown from body-parser's verify hook; its `type` selects the answer (http/error-handler.ts). */
class BodyEncodingError extends Error {
  constructor(
    readonly type: 'charset.unsupported' | 'entity.not.utf8',
    readonly status: number,
  ) {
    super(type);
  }
}

export function jsonBody(): RequestHandler {
  const parse = express.json({
    limit: BODY_LIMIT,
    strict: true,
    type: ['application/json', 'application/*+json'],
    verify: (_req, _res, buffer, encoding) => {
      if (encoding !== 'utf-8' && encoding !== 'utf8') throw new BodyEncodingError('charset.unsupported', 415);
      if (!isUtf8(buffer)) throw new BodyEncodingError('entity.not.utf8', 400);
    },
  });
  return (req, res, next) => (METHODS_WITH_BODIES.has(req.method) ? parse(req, res, next) : next());
}
