import type { RequestHandler } from 'express';
import type { Principal } from '../domain/tenant.js';
import { OPEN_PRINCIPAL, type KeyService } from '../services/key.service.js';
import { problem, sendProblem } from './problem.js';

export const SESSION_COOKIE = 'vj_session';

declare module 'express-serve-static-core' {
  interface Request {
    /** Who the request acts for: set by `authenticate` on every /api request that gets past it. */
    principal?: Principal;
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Puts the request's principal on `req.principal`, or answers 401. A bearer token is API_KEY or a
 * stored key (looked up on every request, so a revoked or expired one is refused at once). A GET or
 * HEAD may instead carry the session cookie POST /api/session sets: EventSource, <video> and <img>
 * cannot send headers, and a key must not travel in a URL that gets logged. Writes always need the
 * header, so a cross-site form can do nothing with the cookie (which is SameSite=Strict as well).
 * With no API_KEY and no key ever created the API is open: every request acts as an admin of `default`.
 */
export function authenticate(keys: KeyService): RequestHandler {
  return async (req, res, next) => {
    try {
      const bearer = /^Bearer\s+(.+)$/i.exec(req.get('Authorization') ?? '');
      let principal: Principal | undefined;
      if (bearer) principal = await keys.byBearer(bearer[1]!.trim());
      else if (req.method === 'GET' || req.method === 'HEAD') {
        const session = cookieValue(req.get('Cookie'), SESSION_COOKIE);
        if (session) principal = await keys.bySession(session);
      }
      if (!principal && !(await keys.keyRequired())) principal = OPEN_PRINCIPAL;
      if (principal) {
        req.principal = principal;
        return next();
      }
      res.setHeader('WWW-Authenticate', 'Bearer');
      const detail = bearer
        ? 'The API key is unknown, revoked or expired: send Authorization: Bearer <key> with a valid key.'
        : 'Missing API key: send Authorization: Bearer <key>.';
      sendProblem(res, problem(401, detail, { code: 'unauthorized' }));
    } catch (err) {
      next(err);
    }
  };
}
