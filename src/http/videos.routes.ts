import type { Request, RequestHandler, Response, Router } from 'express';
import { pipeline } from 'node:stream/promises';
import { DomainError, badRequest, validation } from '../domain/errors.js';
import { checkedMetadata } from '../domain/metadata.js';
import { toJobResource, toVideoResource } from '../domain/representation.js';
import type { CommandService } from '../services/command.service.js';
import type { DownloadService } from '../services/download.service.js';
import type { UploadService } from '../services/upload.service.js';
import type { VideoService } from '../services/video.service.js';
import { attachmentDisposition } from './content-disposition.js';
import type { Drain } from './drain.js';
import { pathId } from './ids.js';
import { ownerTenantOf, tenancyOf, tenantFilterOf } from './principal.js';
import { parseRange } from './range.js';
import { databaseDown, defineRoutes, jsonBodyErrors, routerFrom } from './route-declarations.js';
import { ConcatBody, JobSchema, TrimBody, UploadForm, VideoIdParams, VideoListQuery, VideoSchema, page, toSeconds } from './schemas.js';
import { decodeOriginalName } from './upload.middleware.js';
import { parseBody, parseQuery } from './validate.js';

export interface VideoRouteDeps {
  videos: VideoService;
  uploads: UploadService;
  commands: CommandService;
  downloads: DownloadService;
  upload: RequestHandler[];
  drain: Drain;
  idempotency: RequestHandler;
}

export const videoRoutes = defineRoutes({ base: '/api', access: 'apiKey', tag: 'videos' }, {
  upload: {
    method: 'post',
    path: '/videos',
    summary: 'Upload one video',
    body: { schema: UploadForm, required: true, mediaType: 'multipart/form-data' },
    idempotent: true,
    responses: {
      201: { description: 'Stored and probed (kind upload, status ready)', json: VideoSchema, headers: { Location: 'The new video' } },
    },
    errors: {
      400: { description: 'No `file` field, or a broken multipart body', codes: ['file_missing', 'invalid_multipart'] },
      413: { description: 'Larger than MAX_UPLOAD_BYTES', codes: ['upload_too_large'] },
      415: { description: 'Not a video FFmpeg can decode, or no real video stream (text, still image, audio only); nothing is kept', codes: ['unsupported_media'] },
      507: { description: "Not enough free space on the storage volume, or the file would put the tenant past its storage quota; nothing is kept", codes: ['insufficient_storage', 'quota_exceeded'] },
      ...databaseDown,
    },
  },
  list: {
    method: 'get',
    path: '/videos',
    summary: 'List videos, newest first',
    query: VideoListQuery,
    responses: { 200: { description: 'A page', json: page(VideoSchema) } },
    errors: { 400: { description: 'Bad query', codes: ['invalid_query'] }, ...databaseDown },
  },
  concat: {
    method: 'post',
    path: '/videos/concat',
    summary: 'Record a concat command (runs nothing)',
    body: { schema: ConcatBody, required: true },
    idempotent: true,
    responses: { 201: { description: 'The pending job', json: JobSchema, headers: { Location: 'The new job' } } },
    errors: {
      ...jsonBodyErrors,
      404: { description: 'An id is unknown (named in detail)', codes: ['video_not_found'] },
      409: { description: 'An input video is failed', codes: ['input_video_failed'] },
      422: { description: 'Fewer than 2 or more than 100 ids, an id that is not a UUID, or `metadata` over 4 kB', codes: ['validation_failed', 'metadata_too_large'] },
      507: { description: "The tenant's videos already fill its storage quota; nothing is recorded", codes: ['quota_exceeded'] },
      ...databaseDown,
    },
  },
  get: {
    method: 'get',
    path: '/videos/:id',
    summary: 'One video',
    params: VideoIdParams,
    responses: { 200: { description: 'The video', json: VideoSchema } },
    errors: { 404: { description: 'Unknown video', codes: ['video_not_found'] }, ...databaseDown },
  },
  delete: {
    method: 'delete',
    path: '/videos/:id',
    summary: 'Delete the record and its file',
    params: VideoIdParams,
    responses: { 204: { description: 'Deleted' } },
    errors: {
      404: { description: 'Unknown video', codes: ['video_not_found'] },
      409: { description: 'A job that is not finished uses or produces it', codes: ['video_in_use'] },
      ...databaseDown,
    },
  },
  trim: {
    method: 'post',
    path: '/videos/:id/trim',
    summary: 'Record a trim command (runs nothing)',
    params: VideoIdParams,
    body: { schema: TrimBody, required: true },
    idempotent: true,
    responses: { 201: { description: 'The pending job', json: JobSchema, headers: { Location: 'The new job' } } },
    errors: {
      ...jsonBodyErrors,
      404: { description: 'Unknown video', codes: ['video_not_found'] },
      409: { description: 'The input video is failed', codes: ['input_video_failed'] },
      422: {
        description:
          'start < 0, end ≤ start or a range without a frame, end beyond the duration of a ready input, unknown mode, a time string that is not HH:MM:SS(.mmm), or `metadata` over 4 kB',
        codes: ['validation_failed', 'trim_range_empty', 'trim_end_beyond_duration', 'metadata_too_large'],
      },
      507: { description: "The tenant's videos already fill its storage quota; nothing is recorded", codes: ['quota_exceeded'] },
      ...databaseDown,
    },
  },
  download: {
    method: 'get',
    path: '/videos/:id/download',
    head: true,
    summary: 'Download the file (Range, If-Range, If-None-Match, HEAD)',
    params: VideoIdParams,
    responses: {
      200: {
        description: 'The whole file; several ranges are answered with the whole file',
        content: { 'video/*': {}, 'application/octet-stream': {} },
        headers: { ETag: 'Strong', 'Content-Disposition': 'attachment, with a safe filename whose extension matches the container', 'Accept-Ranges': 'bytes' },
      },
      206: { description: 'One byte range', content: { 'video/*': {}, 'application/octet-stream': {} }, headers: { 'Content-Range': 'bytes start-end/size', ETag: 'Strong' } },
      304: { description: 'If-None-Match matched the ETag' },
    },
    errors: {
      404: { description: 'Unknown video, or its file is gone', codes: ['video_not_found', 'video_file_missing'] },
      409: { description: 'Not ready (detail names the status; `retryable` is false once the video failed)', codes: ['video_not_ready'] },
      416: { description: 'Malformed or unsatisfiable byte range (`Content-Range: bytes */size`)', codes: ['range_not_satisfiable'] },
      ...databaseDown,
    },
  },
});

export function videosRouter(d: VideoRouteDeps): Router {
  return routerFrom(videoRoutes, {
    upload: [
      ...d.upload,
      async (req, res) => {
        if (!req.file) throw badRequest('No file: send the video as multipart/form-data in the field "file".', { field: 'file' }, 'file_missing');
        const release = d.drain.hold(req.file.path);
        const video = await d.uploads
          .accept({ tempPath: req.file.path, originalName: decodeOriginalName(req.file.originalname), tenantId: ownerTenantOf(req) })
          .finally(release);
        res.status(201).location(`/api/videos/${video.id}`).json(toVideoResource(video));
      },
    ],

    list: async (req, res) => {
      const q = parseQuery(VideoListQuery, req.query);
      const { items, total } = await d.videos.list({ ...q, tenant: tenantFilterOf(req) });
      res.json({ items: items.map(toVideoResource), total, limit: q.limit, offset: q.offset });
    },

    concat: async (req, res) => {
      const body = parseBody(ConcatBody, req.body);
      const job = await d.commands.concat(body.videoIds.map((id) => id.toLowerCase()), checkedMetadata(body.metadata), tenancyOf(req));
      res.status(201).location(`/api/jobs/${job.id}`).json(toJobResource(job));
    },

    get: async (req, res) => {
      res.json(toVideoResource(await d.videos.get(pathId(req.params.id, 'Video'), tenantFilterOf(req))));
    },

    delete: async (req, res) => {
      await d.videos.delete(pathId(req.params.id, 'Video'), tenantFilterOf(req));
      res.status(204).end();
    },

    trim: async (req, res) => {
      const id = pathId(req.params.id, 'Video');
      const body = parseBody(TrimBody, req.body);
      const start = toSeconds(body.start);
      const end = toSeconds(body.end);
      if (end <= start) throw validation(`end (${end}) must be greater than start (${start}).`, { field: 'end' }, 'trim_range_empty');
      const job = await d.commands.trim(id, { start, end, mode: body.mode }, checkedMetadata(body.metadata), tenancyOf(req));
      res.status(201).location(`/api/jobs/${job.id}`).json(toJobResource(job));
    },

    download: (req, res) => download(d.downloads, req, res),
  }, { idempotency: d.idempotency });
}

async function download(downloads: DownloadService, req: Request, res: Response): Promise<void> {
  const file = await downloads.resolve(pathId(req.params.id, 'Video'), tenantFilterOf(req));
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
    }, 'range_not_satisfiable');
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
