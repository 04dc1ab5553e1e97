import { randomUUID } from 'node:crypto';
import { statfs } from 'node:fs/promises';
import { DomainError } from '../domain/errors.js';
import type { Request, RequestHandler } from 'express';
import multer from 'multer';
import path from 'node:path';
import type { Drain } from './drain.js';

type UploadingRequest = Request & { releaseUpload?: () => void };

/**
 * Streams the multipart field `file` straight to tmp/ under a generated name (the client's name is
 * kept only as data). Multer removes its partial file itself when a limit or the stream fails.
 */
export function uploadMiddleware(tmpDir: string, maxBytes: number, drain: Drain): RequestHandler {
  const receive = multer({
    storage: multer.diskStorage({
      destination: tmpDir,
      filename: (req, _file, cb) => {
        const name = `${randomUUID()}.upload`;
        // Held from its first byte, so a shutdown that cuts this request removes it.
        (req as UploadingRequest).releaseUpload = drain.hold(path.join(tmpDir, name));
        cb(null, name);
      },
    }),
    limits: { fileSize: Math.floor(maxBytes), files: 1, fields: 20, fieldSize: 64 * 1024, parts: 40 },
  }).single('file');
  return (req, res, next) => {
    receive(req, res, (err?: unknown) => {
      const release = (req as UploadingRequest).releaseUpload;
      // On an error multer has removed its file by now; a stored one is held until the response ends.
      if (err) release?.();
      else if (release) res.once('close', release);
      if (!err || err instanceof multer.MulterError) return next(err);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        return next(new DomainError('insufficient_storage', 'The storage volume is full; the upload was not kept.', {}, 'insufficient_storage'));
      }
      if (code) return next(err);
      // The multipart parser's own complaints (no boundary, truncated form…) are the client's.
      next(new DomainError('bad_request', `Malformed multipart body: ${(err as Error).message}. Send one file in the field "file".`, {}, 'invalid_multipart'));
    });
  };
}

/** Multer reports the client's file name as latin1 bytes; the client sent UTF-8. */
export function decodeOriginalName(name: string | undefined): string | null {
  if (!name) return null;
  const decoded = Buffer.from(name, 'latin1').toString('utf8');
  const name2 = decoded.includes('\uFFFD') ? name : decoded;
  return name2.slice(0, 255);
}

const contentLength = (req: Request): number => Number(req.get('content-length') ?? 0) || 0;

/**
 * Refuses an upload (507) that would leave less than `minFreeBytes` on the storage volume, judged
 * from the bytes it announces (Content-Length, or what `incomingBytes` reads) before one is written.
 */
export function freeSpaceGuard(dir: string, minFreeBytes: number, incomingBytes: (req: Request) => number = contentLength): RequestHandler {
  return async (req, _res, next) => {
    if (minFreeBytes <= 0) return next();
    const incoming = incomingBytes(req);
    const fs = await statfs(dir).catch(() => undefined);
    if (!fs) return next();
    const free = fs.bavail * fs.bsize;
    if (free - incoming < minFreeBytes) {
      const refusal = new DomainError(
        'insufficient_storage',
        `Not enough free space to store this upload: ${free} bytes free, ${incoming} incoming, ${minFreeBytes} must stay free (MIN_FREE_BYTES).`,
      );
      // Answer once the body has been read (and dropped), so the client is not cut off mid-send.
      if (req.complete) return next(refusal);
      req.once('end', () => next(refusal));
      req.once('error', () => next(refusal));
      req.resume();
      return;
    }
    next();
  };
}
