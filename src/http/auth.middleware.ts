import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { problem, sendProblem } from './problem.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export const SESSION_COOKIE = 'vj_session';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

function sessionSignature(apiKey: string, expiresAt: number): string {
  return createHmac('sha256', apiKey).update(`studio-session:${expiresAt}`).digest('base64url');
}

/** A session token `<expiry ms>.<HMAC of it under the key>`: nothing to store, dead once the key changes. */
export function issueSessionToken(apiKey: string, now = Date.now()): { token: string; expiresAt: number } {
  const expiresAt = now + SESSION_TTL_MS;
  return { token: `${expiresAt}.${sessionSignature(apiKey, expiresAt)}`, expiresAt };
}

export function sessionTokenValid(apiKey: string, token: string, now = Date.now()): boolean {
  const m = /^(\d{13,15})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return false;
  const expiresAt = Number(m[1]);
  if (expiresAt <= now || expiresAt > now + SESSION_TTL_MS) return false;
  return timingSafeEqual(digest(m[2]!), digest(sessionSignature(apiKey, expiresAt)));
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * When API_KEY is set, every /api request needs `Authorization: Bearer <key>`; compared in constant time.
 * A GET or HEAD may instead carry the session cookie POST /api/session sets: EventSource, <video> and
 * <img> cannot send headers, and the key must not travel in a URL that gets logged. Writes always need
 * the header, so a cross-site form can do nothing with the cookie (which is SameSite=Strict as well).
 */
export function apiKeyAuth(apiKey: string | undefined): RequestHandler {
  if (!apiKey) return (_req, _res, next) => next();
  const expected = digest(apiKey);
  return (req, res, next) => {
    const m = /^Bearer\s+(.+)$/i.exec(req.get('Authorization') ?? '');
    if (m && timingSafeEqual(digest(m[1]!.trim()), expected)) return next();
    if (!m && (req.method === 'GET' || req.method === 'HEAD')) {
      const session = cookieValue(req.get('Cookie'), SESSION_COOKIE);
      if (session && sessionTokenValid(apiKey, session)) return next();
    }
    res.setHeader('WWW-Authenticate', 'Bearer');
    sendProblem(res, problem(401, 'Missing or wrong API key: send Authorization: Bearer <API_KEY>.', { code: 'unauthorized' }));
  };
}
