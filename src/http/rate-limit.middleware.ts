import type { RequestHandler } from 'express';
import { DomainError } from '../domain/errors.js';

const WINDOW_MS = 60_000;

/**
 * At most `perMinute` requests per key per minute in this process (a fixed window per key); past
 * it, 429 with Retry-After until the window ends. 0 turns it off. Behind several API processes each
 * counts alone, so the cluster allows that many times as much.
 */
export function rateLimit(perMinute: number, now: () => number = Date.now): RequestHandler {
  if (perMinute <= 0) return (_req, _res, next) => next();
  const windows = new Map<string, { startedAt: number; count: number }>();
  let sweptAt = now();
  return (req, res, next) => {
    const t = now();
    if (t - sweptAt > WINDOW_MS) {
      for (const [key, w] of windows) if (t - w.startedAt >= WINDOW_MS) windows.delete(key);
      sweptAt = t;
    }
    const key = req.principal?.keyId ?? 'anonymous';
    let w = windows.get(key);
    if (!w || t - w.startedAt >= WINDOW_MS) windows.set(key, (w = { startedAt: t, count: 0 }));
    w.count += 1;
    res.setHeader('RateLimit-Limit', String(perMinute));
    res.setHeader('RateLimit-Remaining', String(Math.max(0, perMinute - w.count)));
    if (w.count <= perMinute) return next();
    const retryAfterSec = Math.max(1, Math.ceil((w.startedAt + WINDOW_MS - t) / 1000));
    res.setHeader('Retry-After', String(retryAfterSec));
    next(new DomainError('too_many_requests', `This key made more than ${perMinute} requests in a minute (RATE_LIMIT_PER_MINUTE); retry in ${retryAfterSec} s.`, {}, 'rate_limited'));
  };
}
