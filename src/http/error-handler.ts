import type { ErrorRequestHandler, RequestHandler } from 'express';
import multer from 'multer';
import type { Logger } from 'pino';
import { DomainError, ERROR_CODES, type DomainErrorKind, type ErrorCode } from '../domain/errors.js';
import { problem, sendProblem } from './problem.js';

const STATUS_OF: Record<DomainErrorKind, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  validation: 422,
  too_many_requests: 429,
  insufficient_storage: 507,
  unavailable: 503,
  internal: 500,
};

/** The status a code is answered with (its kind's). */
export const statusOfCode = (code: ErrorCode): number => STATUS_OF[ERROR_CODES[code].kind];

// Errors that mean "a backing service is away", not "the request is wrong".
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01',
  '57P03',
  '53300',
]);

// A deadlock or serialization failure that the unit of work's own retries could not get past.
const CONTENDED_CODES = new Set(['40P01', '40001']);

/** The one place that turns errors into HTTP: problem+json, and 500 only for bugs. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (err instanceof DomainError) {
      const status = STATUS_OF[err.kind];
      if (err.kind === 'range_not_satisfiable' && typeof err.extra.size === 'number') {
        res.setHeader('Content-Range', `bytes */${err.extra.size}`);
      }
      const { size: _size, ...extra } = err.extra;
      return sendProblem(res, problem(status, err.message, { ...extra, code: err.code, retryable: err.retryable }));
    }
    if (err instanceof multer.MulterError) {
      if (err.code === 'LIMIT_FILE_SIZE') return sendProblem(res, problem(413, 'The file is larger than MAX_UPLOAD_BYTES allows.', { code: 'upload_too_large' }));
      const field = err.field ? ` (field "${err.field}")` : '';
      return sendProblem(res, problem(400, `Bad multipart upload${field}: ${err.message}. Send one file in the field "file".`, { code: 'invalid_multipart' }));
    }
    const e = err as { status?: unknown; statusCode?: unknown; type?: unknown; code?: unknown; message?: unknown };
    const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
    if (status !== undefined && status >= 400 && status < 500) {
      return sendProblem(res, problem(status, clientMessage(e), { code: clientCode(e, status) }));
    }
    if (typeof e.code === 'string' && CONTENDED_CODES.has(e.code)) {
      logger.warn({ err, url: req.originalUrl }, 'transaction kept losing to concurrent ones');
      res.setHeader('Retry-After', '1');
      return sendProblem(res, problem(503, 'The service is busy with concurrent changes to the same jobs; try again in a moment.', { code: 'contended' }));
    }
    if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) {
      res.setHeader('Retry-After', '2');
      logger.warn({ err, url: req.originalUrl }, 'backing service unavailable');
      return sendProblem(res, problem(503, 'A backing service (PostgreSQL) is unavailable; try again shortly.', { code: 'service_unavailable' }));
    }
    logger.error({ err, method: req.method, url: req.originalUrl }, 'unhandled error');
    return sendProblem(res, problem(500, 'Internal error. This is a bug; it has been logged.', { code: 'internal_error' }));
  };
}

function clientMessage(e: { type?: unknown; message?: unknown }): string {
  switch (e.type) {
    case 'entity.parse.failed':
      return 'The request body is not valid JSON.';
    case 'entity.too.large':
      return 'The request body is too large.';
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return 'The request body encoding is not supported.';
    default:
      return typeof e.message === 'string' && e.message ? e.message : 'Bad request.';
  }
}

/** The code of an error body-parser (or another http-errors thrower) raised with a 4xx status. */
function clientCode(e: { type?: unknown }, status: number): ErrorCode {
  switch (e.type) {
    case 'entity.parse.failed':
      return 'invalid_json';
    case 'entity.too.large':
      return 'body_too_large';
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return 'unsupported_encoding';
    default:
      return status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_encoding' : status === 404 ? 'not_found' : 'bad_request';
  }
}

export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, problem(404, `No route for ${req.method} ${req.path}.`, { code: 'route_not_found' }));
};
