import type { RequestHandler } from 'express';

const ALLOWED_HEADERS = 'Authorization, Content-Type, Idempotency-Key, Last-Event-ID, Range, If-None-Match, If-Range';
const EXPOSED_HEADERS = 'Location, Retry-After, ETag, Content-Range, Content-Disposition, Idempotent-Replayed, RateLimit-Limit, RateLimit-Remaining';
const METHODS = 'GET, HEAD, POST, PATCH, DELETE';

/**
 * CORS for the origins CORS_ORIGINS lists, and for no other: with none listed it adds nothing, so a
 * page on another origin cannot read any answer. Credentials (the session cookie) are not allowed
 * across origins; such a page sends its key as a bearer header.
 */
export function cors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.get('Origin');
    if (allowed.size === 0 || !origin) return next();
    res.vary('Origin');
    if (!allowed.has(origin)) return next();
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    if (req.method === 'OPTIONS' && req.get('Access-Control-Request-Method')) {
      res.setHeader('Access-Control-Allow-Methods', METHODS);
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}
