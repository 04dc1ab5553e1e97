import { createWriteStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImportFailure } from '../domain/import.js';
import { guardedLookup, refusedLiteral } from '../webhooks/address-guard.js';

export interface FetchOptions {
  maxBytes: number;
  /** For the whole download, redirects included (IMPORT_TIMEOUT_MS). */
  timeoutMs: number;
  allowPrivate: boolean;
  maxRedirects?: number;
  signal?: AbortSignal;
}

export interface Fetched {
  finalUrl: string;
  bytes: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Why an import URL is refused before anything is fetched; undefined when it may be tried. */
export function refusedImportUrl(url: URL, allowPrivate: boolean): string | undefined {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `only http and https URLs can be imported, not ${url.protocol}`;
  if (url.username || url.password) return 'a URL with credentials cannot be imported';
  return refusedLiteral(url.hostname, allowPrivate, 'IMPORT_ALLOW_PRIVATE');
}

/**
 * Streams `url` into `dest` (created, never overwritten), following at most `maxRedirects`
 * redirects, each re-checked; every connection's resolved address is checked by the lookup itself,
 * so a name that resolves differently the second time cannot reach a private address. Throws an
 * ImportFailure saying why; the caller removes `dest`.
 */
export async function fetchToFile(url: string, dest: string, opts: FetchOptions): Promise<Fetched> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([deadline.signal, opts.signal]) : deadline.signal;
  try {
    let current = new URL(url);
    for (let hop = 0; ; hop += 1) {
      const refused = refusedImportUrl(current, opts.allowPrivate);
      if (refused) throw new ImportFailure(hop === 0 || refused.includes('private') ? 'source_address_refused' : 'source_redirect_refused', refused);
      const res = await get(current, opts.allowPrivate, signal);
      const status = res.statusCode ?? 0;
      if (REDIRECTS.has(status) && res.headers.location) {
        res.resume();
        if (hop >= (opts.maxRedirects ?? 5)) throw new ImportFailure('source_redirect_refused', `more than ${opts.maxRedirects ?? 5} redirects`);
        current = new URL(res.headers.location, current);
        continue;
      }
      if (status < 200 || status >= 300) {
        res.resume();
        throw new ImportFailure('source_http_error', `${current.href} answered ${status}`, status >= 500 || status === 429);
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > opts.maxBytes) {
        res.destroy();
        throw new ImportFailure('source_too_large', `the file is ${declared} bytes, more than MAX_UPLOAD_BYTES (${opts.maxBytes})`);
      }
      const bytes = await pipeTo(res, dest, opts.maxBytes);
      return { finalUrl: current.href, bytes };
    }
  } catch (err) {
    throw classify(err, deadline.signal.aborted, opts.timeoutMs);
  } finally {
    clearTimeout(timer);
  }
}

function get(url: URL, allowPrivate: boolean, signal: AbortSignal): Promise<http.IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, {
      headers: { 'user-agent': 'video-jobs-import/1', accept: 'video/*, application/octet-stream;q=0.9, */*;q=0.5' },
      lookup: guardedLookup(allowPrivate, 'IMPORT_ALLOW_PRIVATE') as never,
      signal,
    });
    req.once('response', resolve);
    req.once('error', reject);
  });
}

async function pipeTo(res: http.IncomingMessage, dest: string, maxBytes: number): Promise<number> {
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > maxBytes) return cb(new ImportFailure('source_too_large', `the file is larger than MAX_UPLOAD_BYTES (${maxBytes})`));
      cb(null, chunk);
    },
  });
  await pipeline(res, limit, createWriteStream(dest, { flags: 'wx' }));
  return bytes;
}

function classify(err: unknown, timedOut: boolean, timeoutMs: number): ImportFailure {
  if (err instanceof ImportFailure) return err;
  if (timedOut) return new ImportFailure('source_timeout', `the download took longer than ${timeoutMs} ms (IMPORT_TIMEOUT_MS)`);
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EPRIVATE') return new ImportFailure('source_address_refused', e.message);
  if (e.code === 'ENOSPC' || e.code === 'EDQUOT') return new ImportFailure('disk_full', 'the storage volume is full');
  if (e.name === 'AbortError') return new ImportFailure('source_unreachable', 'the download was stopped', true);
  return new ImportFailure('source_unreachable', `the download failed: ${e.message}`);
}
