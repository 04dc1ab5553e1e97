import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { problem, sendProblem } from './problem.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** When API_KEY is set, every /api request needs `Authorization: Bearer <key>`; compared in constant time. */
export function apiKeyAuth(apiKey: string | undefined): RequestHandler {
  if (!apiKey) return (_req, _res, next) => next();
  const expected = digest(apiKey);
  return (req, res, next) => {
    const m = /^Bearer\s+(.+)$/i.exec(req.get('Authorization') ?? '');
    if (m && timingSafeEqual(digest(m[1]!.trim()), expected)) return next();
    res.setHeader('WWW-Authenticate', 'Bearer');
    sendProblem(res, problem(401, 'Missing or wrong API key: send Authorization: Bearer <API_KEY>.', { code: 'unauthorized' }));
  };
}
