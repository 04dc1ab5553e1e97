import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { DomainError, notFound } from '../domain/errors.js';
import type { Downloadable, DownloadService } from '../services/download.service.js';
import { attachmentDisposition } from './content-disposition.js';
import { parseRange } from './range.js';

export type DownloadMode = 'proxy' | 'redirect';

// Long enough to start a large download and seek in a player; a fresh request gets a fresh URL.
const REDIRECT_TTL_SEC = 900;

/**
 * Answers a GET or HEAD for a resolved file: Range (206/416), If-Range, If-None-Match (304), a
 * strong ETag and Content-Disposition; streamed through this process, or with `redirect` a 302 to
 * a presigned URL of the store, valid for at most `maxRedirectSec`.
 */
export async function sendDownload(
  downloads: DownloadService,
  file: Downloadable,
  req: Request,
  res: Response,
  mode: DownloadMode,
  maxRedirectSec = REDIRECT_TTL_SEC,
): Promise<void> {
  const disposition = attachmentDisposition(file.filename);
  if (mode === 'redirect') {
    const url = await downloads.presigned(file, Math.max(1, Math.min(REDIRECT_TTL_SEC, maxRedirectSec)), disposition);
    if (url) {
      res.setHeader('Cache-Control', 'private, no-store');
      res.redirect(302, url);
      return;
    }
  }
  res.setHeader('ETag', file.etag);
  res.setHeader('Last-Modified', file.lastModified.toUTCString());
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Cache-Control', 'private, no-cache');
  res.setHeader('Content-Disposition', disposition);

  if (etagMatches(req.get('If-None-Match'), file.etag)) {
    res.status(304).end();
    return;
  }
  const ifRange = req.get('If-Range');
  const rangeHeader = ifRange !== undefined && ifRange !== file.etag ? undefined : req.get('Range');
  const range = parseRange(rangeHeader, file.sizeBytes);
  if (range.kind === 'unsatisfiable') {
    throw new DomainError('range_not_satisfiable', `Range ${JSON.stringify(rangeHeader)} cannot be served from ${file.sizeBytes} bytes.`, {
      size: file.sizeBytes,
    }, 'range_not_satisfiable');
  }
  const slice = range.kind === 'single' ? { start: range.start, end: range.end } : undefined;
  const body = req.method === 'HEAD' ? undefined : await openOrMissing(downloads, file, slice);
  res.type(file.contentType);
  if (slice) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${slice.start}-${slice.end}/${file.sizeBytes}`);
    res.setHeader('Content-Length', String(slice.end - slice.start + 1));
  } else {
    res.status(200);
    res.setHeader('Content-Length', String(file.sizeBytes));
  }
  if (!body) {
    res.end();
    return;
  }
  // A client that goes away mid-download is normal; pipeline closes the file either way.
  await pipeline(body, res).catch(() => {});
}

async function openOrMissing(downloads: DownloadService, file: Downloadable, slice: { start: number; end: number } | undefined) {
  try {
    return await downloads.open(file, slice);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound('The file of the video is gone.', 'video_file_missing');
    throw err;
  }
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}
