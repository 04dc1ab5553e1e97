import { Router, type Request, type Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { DomainError, badRequest, validation } from '../domain/errors.js';
import { toJobResource, toVideoResource } from '../domain/representation.js';
import type { CommandService } from '../services/command.service.js';
import type { DownloadService } from '../services/download.service.js';
import type { UploadService } from '../services/upload.service.js';
import type { VideoService } from '../services/video.service.js';
import { attachmentDisposition } from './content-disposition.js';
import { pathId } from './ids.js';
import { parseRange } from './range.js';
import { ConcatBody, TrimBody, VideoListQuery, toSeconds } from './schemas.js';
import { decodeOriginalName } from './upload.middleware.js';
import { parseBody, parseQuery } from './validate.js';
import type { RequestHandler } from 'express';

export interface VideoRouteDeps {
  videos: VideoService;
  uploads: UploadService;
  commands: CommandService;
  downloads: DownloadService;
  upload: RequestHandler[];
}

export function videosRouter(d: VideoRouteDeps): Router {
  const r = Router();

  r.post('/videos', ...d.upload, async (req, res) => {
    if (!req.file) throw badRequest('No file: send the video as multipart/form-data in the field "file".', { field: 'file' });
    const video = await d.uploads.accept({ tempPath: req.file.path, originalName: decodeOriginalName(req.file.originalname) });
    res.status(201).location(`/api/videos/${video.id}`).json(toVideoResource(video));
  });

  r.get('/videos', async (req, res) => {
    const q = parseQuery(VideoListQuery, req.query);
    const { items, total } = await d.videos.list(q);
    res.json({ items: items.map(toVideoResource), total, limit: q.limit, offset: q.offset });
  });

  r.post('/videos/concat', async (req, res) => {
    const body = parseBody(ConcatBody, req.body);
    const job = await d.commands.concat(body.videoIds.map((id) => id.toLowerCase()));
    res.status(201).location(`/api/jobs/${job.id}`).json(toJobResource(job));
  });

  r.get('/videos/:id', async (req, res) => {
    res.json(toVideoResource(await d.videos.get(pathId(req.params.id, 'Video'))));
  });

  r.delete('/videos/:id', async (req, res) => {
    await d.videos.delete(pathId(req.params.id, 'Video'));
    res.status(204).end();
  });

  r.post('/videos/:id/trim', async (req, res) => {
    const id = pathId(req.params.id, 'Video');
    const body = parseBody(TrimBody, req.body);
    const start = toSeconds(body.start);
    const end = toSeconds(body.end);
    if (end <= start) throw validation(`end (${end}) must be greater than start (${start}).`, { field: 'end' });
    const job = await d.commands.trim(id, { start, end, mode: body.mode });
    res.status(201).location(`/api/jobs/${job.id}`).json(toJobResource(job));
  });

  r.get('/videos/:id/download', (req, res) => download(d.downloads, req, res));

  return r;
}

async function download(downloads: DownloadService, req: Request, res: Response): Promise<void> {
  const file = await downloads.resolve(pathId(req.params.id, 'Video'));
  res.setHeader('ETag', file.etag);
  res.setHeader('Last-Modified', file.lastModified.toUTCString());
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Cache-Control', 'private, no-cache');
  res.setHeader('Content-Disposition', attachmentDisposition(file.filename));

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
    });
  }
  res.type(file.contentType);
  const slice = range.kind === 'single' ? { start: range.start, end: range.end } : undefined;
  if (slice) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${slice.start}-${slice.end}/${file.sizeBytes}`);
    res.setHeader('Content-Length', String(slice.end - slice.start + 1));
  } else {
    res.status(200);
    res.setHeader('Content-Length', String(file.sizeBytes));
  }
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  // A client that goes away mid-download is normal; pipeline closes the file either way.
  await pipeline(downloads.open(file, slice), res).catch(() => {});
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}
