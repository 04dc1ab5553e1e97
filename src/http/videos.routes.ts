import { idempotentResourceId } from './idempotency.middleware.js';
import type { RequestHandler, Router } from 'express';
import { badRequest, validation } from '../domain/errors.js';
import { checkedMetadata } from '../domain/metadata.js';
import { toJobResource, toVideoResource } from '../domain/representation.js';
import type { CommandService } from '../services/command.service.js';
import type { DownloadService } from '../services/download.service.js';
import type { UploadService } from '../services/upload.service.js';
import type { UrlImportService } from '../services/url-import.service.js';
import type { VideoService } from '../services/video.service.js';
import { sendDownload, type DownloadMode } from './download.js';
import type { Drain } from './drain.js';
import { pathId } from './ids.js';
import { ownerTenantOf, tenancyOf, tenantFilterOf } from './principal.js';
import { databaseDown, defineRoutes, jsonBodyErrors, routerFrom } from './route-declarations.js';
import { ConcatBody, ImportBody, JobSchema, TrimBody, UploadForm, VideoIdParams, VideoListQuery, VideoSchema, page, toSeconds } from './schemas.js';
import { decodeOriginalName } from './upload.middleware.js';
import { parseBody, parseQuery } from './validate.js';

export interface VideoRouteDeps {
  videos: VideoService;
  uploads: UploadService;
  imports: UrlImportService;
  commands: CommandService;
  downloads: DownloadService;
  /** `redirect`: a download is a 302 to a presigned URL of the store (S3_DOWNLOADS), where it has them. */
  downloadMode: DownloadMode;
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
      422: {
        description: 'Fewer than 2 or more than 100 ids, an id that is not a UUID, `metadata` over 4 kB, or a `callbackUrl` that is not http(s) or points at a private address',
        codes: ['validation_failed', 'metadata_too_large', 'webhook_url_refused'],
      },
      507: { description: "The tenant's videos already fill its storage quota; nothing is recorded", codes: ['quota_exceeded'] },
      ...databaseDown,
    },
  },
  import: {
    method: 'post',
    path: '/videos/import',
    summary: 'Import a video from an http(s) URL (a worker fetches and probes it)',
    description:
      'Answers at once with the video in status `processing`; a worker downloads it (at most MAX_UPLOAD_BYTES, within IMPORT_TIMEOUT_MS, ' +
      'following at most 5 redirects, each checked again), probes it, and the video becomes `ready` or `failed` with `error` and `errorCode` ' +
      '(events `video.ready` / `video.failed`). Private, loopback and link-local addresses are refused, on every connection, unless IMPORT_ALLOW_PRIVATE=true.',
    body: { schema: ImportBody, required: true },
    idempotent: true,
    responses: { 202: { description: 'Recorded (kind upload, status processing, `source.url`)', json: VideoSchema, headers: { Location: 'The new video' } } },
    errors: {
      ...jsonBodyErrors,
      422: { description: 'Not an absolute http(s) URL, a URL with credentials, or a private, loopback or link-local address literal', codes: ['validation_failed', 'import_url_refused'] },
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
          'start < 0, end ≤ start or a range without a frame, end beyond the duration of a ready input, unknown mode, a time string that is not HH:MM:SS(.mmm), `metadata` over 4 kB, or a `callbackUrl` that is not http(s) or points at a private address',
        codes: ['validation_failed', 'trim_range_empty', 'trim_end_beyond_duration', 'metadata_too_large', 'webhook_url_refused'],
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
      302: { description: 'With STORAGE_BACKEND=s3 and S3_DOWNLOADS=redirect: to a presigned URL of the bucket (15 minutes), which serves Range itself', headers: { Location: 'The presigned URL' } },
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
        const video = await d.uploads.accept({ tempPath: req.file.path, originalName: decodeOriginalName(req.file.originalname), id: idempotentResourceId(res), tenantId: ownerTenantOf(req) }).finally(release);
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
      const job = await d.commands.concat(body.videoIds.map((id) => id.toLowerCase()), { metadata: checkedMetadata(body.metadata), callbackUrl: body.callbackUrl, id: idempotentResourceId(res) }, tenancyOf(req));
      res.status(201).location(`/api/jobs/${job.id}`).json(toJobResource(job));
    },

    import: async (req, res) => {
      const body = parseBody(ImportBody, req.body);
      const video = await d.imports.request(body.url, body.name ?? null, { id: idempotentResourceId(res), tenantId: ownerTenantOf(req) });
      res.status(202).location(`/api/videos/${video.id}`).json(toVideoResource(video));
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
      const job = await d.commands.trim(id, { start, end, mode: body.mode }, { metadata: checkedMetadata(body.metadata), callbackUrl: body.callbackUrl, id: idempotentResourceId(res) }, tenancyOf(req));
      res.status(201).location(`/api/jobs/${job.id}`).json(toJobResource(job));
    },

    download: async (req, res) => {
      const file = await d.downloads.resolve(pathId(req.params.id, 'Video'), tenantFilterOf(req));
      await sendDownload(d.downloads, file, req, res, d.downloadMode);
    },
  }, { idempotency: d.idempotency });
}

