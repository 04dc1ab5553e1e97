import type { Request, RequestHandler } from 'express';
import { DomainError } from '../domain/errors.js';

const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * A route that takes a JSON body refuses one sent as anything else: express.json leaves such a body
 * unread, and a handler that saw "no body" would do something else than asked (a run would queue
 * every pending job instead of the named ones).
 */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  if (!carriesBody(req) || req.is(JSON_TYPES) !== false) return next();
  const sent = req.get('Content-Type');
  const came = sent ? `it came as ${sent.split(';')[0]!.trim()}` : 'it came without a Content-Type';
  next(
    new DomainError(
      'unsupported_media_type',
      `The request body must be JSON sent with the header Content-Type: application/json (${came}); nothing was done.`,
      { expected: 'application/json' },
      'unsupported_content_type',
    ),
  );
};

/** `Content-Length: 0` is no body (clients send it with an empty POST); a chunked one may hold one. */
function carriesBody(req: Request): boolean {
  if (req.get('Transfer-Encoding') !== undefined) return true;
  const length = Number(req.get('Content-Length') ?? '0');
  return Number.isFinite(length) && length > 0;
}
