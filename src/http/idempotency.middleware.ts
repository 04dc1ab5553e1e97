import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { badRequest, conflict, validation } from '../domain/errors.js';
import type { IdempotencyKeyStore, IdempotencyRecord, StoredResponse } from '../repositories/idempotency-key.repository.js';

export const IDEMPOTENCY_KEY_MAX = 255;
const HEADER = 'Idempotency-Key';
const REPLAYED = 'Idempotent-Replayed';
const STORED_HEADERS = ['location', 'content-type'];
const RESOURCE_ID = 'idempotentResourceId';

/**
 * The id for what this request creates: with an Idempotency-Key, the key's (the same on a retry
 * that takes over after the first request died, so the retry finds what that one committed);
 * without, none (the service makes one).
 */
export function idempotentResourceId(res: Response): string | undefined {
  const id: unknown = res.locals[RESOURCE_ID];
  return typeof id === 'string' ? id : undefined;
}

export interface IdempotencyOptions {
  store: IdempotencyKeyStore;
  /** Keys of different API keys never meet: the SHA-256 of the caller's API key, '' on an open server. */
  scopeOf: (req: Request) => string;
  logger?: Logger;
  /** How long a request waits for the first one with its key to answer before a 409. */
  waitMs?: number;
  /** How long an in-flight key holds when its request's process died; a retry may take it over after. */
  leaseMs?: number;
  /** How long an answer is replayed. */
  ttlMs?: number;
  pollMs?: number;
}

/**
 * `Idempotency-Key` for routes that create something (opted into by `idempotent: true` in the
 * route declaration). The first request with a key claims it and runs; its answer is stored, unless
 * it is a 5xx or a problem marked retryable, in which case the key is given up so a retry runs
 * afresh. A request with the same key and the same method, path and body gets the stored answer
 * again; with another request, a 422. A request whose key's first is still running waits for its
 * answer up to `waitMs`, then answers 409 with Retry-After: two requests with one key never both run.
 */
export function idempotency(o: IdempotencyOptions): RequestHandler {
  const waitMs = o.waitMs ?? 5_000;
  const leaseMs = o.leaseMs ?? 60_000;
  const ttlMs = o.ttlMs ?? 24 * 3_600_000;
  const pollMs = o.pollMs ?? 50;

  return async (req, res, next) => {
    const key = req.get(HEADER);
    if (key === undefined) return next();
    let proceeding = false;
    try {
      if (key.length < 1 || key.length > IDEMPOTENCY_KEY_MAX) {
        throw badRequest(`The ${HEADER} header must be 1 to ${IDEMPOTENCY_KEY_MAX} characters, not ${key.length}.`, { field: HEADER }, 'invalid_idempotency_key');
      }
      const scope = o.scopeOf(req);
      const fingerprint = await fingerprintOf(req);
      const owner = randomUUID();
      const deadline = Date.now() + waitMs;
      for (;;) {
        const claim = await o.store.claim({ scope, key, fingerprint, owner, leaseMs, ttlMs });
        if (claim.claimed) {
          proceeding = true;
          res.locals[RESOURCE_ID] = claim.resourceId;
          captureAnswer(res, o, scope, key, owner);
          return next();
        }
        const row = claim.existing;
        if (row.fingerprint !== fingerprint) {
          throw validation(
            `The ${HEADER} ${JSON.stringify(key)} was used with a different request (method, path or body) since ${row.createdAt.toISOString()}; use a new key for a new request.`,
            { field: HEADER },
            'idempotency_key_reused',
          );
        }
        if (row.responseStatus !== null) return replay(res, row);
        if (Date.now() >= deadline) {
          res.setHeader('Retry-After', '1');
          throw conflict(`A request with the ${HEADER} ${JSON.stringify(key)} is still being processed; retry in a moment.`, 'idempotency_key_in_flight');
        }
        await new Promise((r) => setTimeout(r, pollMs));
      }
    } finally {
      // A request that does not reach its handler leaves nothing behind (an upload already received).
      if (!proceeding && req.file) await rm(req.file.path, { force: true }).catch(() => {});
    }
  };
}

/** Stores the route's answer under the key before it goes out, or gives the key up. */
function captureAnswer(res: Response, o: IdempotencyOptions, scope: string, key: string, owner: string): void {
  let settled = false;
  const send = res.send.bind(res);
  res.send = ((body?: unknown) => {
    res.send = send;
    settled = true;
    const text = body === undefined ? '' : typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : JSON.stringify(body);
    const status = res.statusCode;
    const stored: StoredResponse = { status, headers: pickHeaders(res), body: text };
    const done = storable(stored) ? o.store.complete(scope, key, owner, stored).then(() => {}) : o.store.release(scope, key, owner);
    void done
      .catch((err: unknown) => o.logger?.warn({ err, key }, 'could not store the idempotent answer; the key stays in flight until its lease lapses'))
      .finally(() => send(body as never));
    return res;
  }) as Response['send'];
  // Answered without send (a destroyed socket, an ended stream): the key is given up.
  res.once('close', () => {
    if (!settled) void o.store.release(scope, key, owner).catch(() => {});
  });
}

/** 2xx and the 4xx no retry changes; not a 5xx nor a problem the client is told to retry. */
function storable(r: StoredResponse): boolean {
  if (r.status >= 500 || r.status < 200) return false;
  if (r.status < 400) return true;
  try {
    return (JSON.parse(r.body) as { retryable?: unknown }).retryable !== true;
  } catch {
    return true;
  }
}

function replay(res: Response, row: IdempotencyRecord): void {
  for (const [name, value] of Object.entries(row.responseHeaders ?? {})) res.setHeader(name, value);
  res.setHeader(REPLAYED, 'true');
  res.status(row.responseStatus!).send(row.responseBody ?? '');
}

function pickHeaders(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const v = res.getHeader(name);
    if (v !== undefined) out[name] = String(v);
  }
  return out;
}

/** SHA-256 of what makes two requests the same request: method, path, body (an upload: its bytes and fields). */
async function fingerprintOf(req: Request): Promise<string> {
  const h = createHash('sha256');
  h.update(`${req.method} ${req.originalUrl}\n`);
  if (req.file) {
    h.update(canonicalJson({ fields: { ...(req.body ?? {}) }, name: req.file.originalname, type: req.file.mimetype }));
    h.update('\n');
    for await (const chunk of createReadStream(req.file.path)) h.update(chunk as Buffer);
  } else {
    h.update(canonicalJson(req.body ?? null));
  }
  return h.digest('hex');
}

/** JSON with object keys sorted, so a client re-serializing the same body the other way round matches. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}
