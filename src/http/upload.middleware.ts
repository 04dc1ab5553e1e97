import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import multer from 'multer';

/**
 * Streams the multipart field `file` straight to tmp/ under a generated name (the client's name is
 * kept only as data). Multer removes its partial file itself when a limit or the stream fails.
 */
export function uploadMiddleware(tmpDir: string, maxBytes: number): RequestHandler {
  return multer({
    storage: multer.diskStorage({
      destination: tmpDir,
      filename: (_req, _file, cb) => cb(null, `${randomUUID()}.upload`),
    }),
    limits: { fileSize: Math.floor(maxBytes), files: 1, fields: 20, fieldSize: 64 * 1024, parts: 40 },
  }).single('file');
}

/** Multer reports the client's file name as latin1 bytes; the client sent UTF-8. */
export function decodeOriginalName(name: string | undefined): string | null {
  if (!name) return null;
  const decoded = Buffer.from(name, 'latin1').toString('utf8');
  const name2 = decoded.includes('\uFFFD') ? name : decoded;
  return name2.slice(0, 255);
}
