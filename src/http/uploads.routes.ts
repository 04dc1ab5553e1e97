import { ownerTenantOf, tenantFilterOf } from './principal.js';
import { randomUUID } from 'node:crypto';
import { Server as TusServer, type Upload } from '@tus/server';
import type { Request, RequestHandler, Response, Router } from 'express';
import { NodeRequest } from 'srvx/node';
import { z } from 'zod';
import { isErrorCode, notFound, type ErrorCode } from '../domain/errors.js';
import { statusOfCode } from './error-handler.js';
import type { ResumableUploadService } from '../services/resumable-upload.service.js';
import { problem, sendProblem } from './problem.js';
import { databaseDown, defineRoutes, routerFrom } from './route-declarations.js';
import { IdParam } from './schemas.js';

const UploadIdParams = z.object({ id: IdParam.describe('Upload id (the last segment of the Location a creation answered)') });

export const UploadStateSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(['receiving', 'finishing', 'completed', 'failed']).describe('`receiving` until the last byte; `completed` with `videoId`, or `failed` with `error`.'),
    offset: z.number().int().describe('Bytes the server has.'),
    length: z.number().int().nullable().describe('Upload-Length (null while deferred).'),
    originalName: z.string().nullable().describe('`filename` from Upload-Metadata.'),
    videoId: z.uuid().nullable(),
    error: z.object({ code: z.string(), detail: z.string() }).nullable().describe('Why the finished upload was refused (e.g. `unsupported_media`).'),
    expiresAt: z.iso.datetime().describe('An unfinished upload is removed after this (UPLOAD_EXPIRY_HOURS).'),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'ResumableUpload' });

const TUS_HEADERS = { 'Tus-Resumable': '1.0.0' };
const tusErrors = {
  400: { description: 'A missing or malformed tus header, or an extension the server does not offer', codes: ['invalid_tus_request'] },
  412: { description: 'No `Tus-Resumable: 1.0.0`', codes: ['tus_resumable_required'] },
} as const;

export const uploadRoutes = defineRoutes({ base: '/api', access: 'apiKey', tag: 'uploads' }, {
  discover: {
    method: 'options',
    path: '/uploads',
    summary: 'tus 1.0 discovery: version, extensions, maximum size',
    responses: { 204: { description: 'No body', headers: { 'Tus-Version': '1.0.0', 'Tus-Extension': 'creation, creation-with-upload, termination, expiration (and creation-defer-length)', 'Tus-Max-Size': 'MAX_UPLOAD_BYTES' } } },
  },
  create: {
    method: 'post',
    path: '/uploads',
    summary: 'tus creation: start a resumable upload (Upload-Length, Upload-Metadata with `filename`)',
    description:
      'The tus 1.0 creation extension (https://tus.io/protocols/resumable-upload). `Upload-Metadata` carries `filename` (base64, as tus says); the ' +
      'file is checked like a multipart upload once its last byte arrives. Creation-with-upload (a body with the POST) works too.',
    responses: { 201: { description: 'Created', headers: { Location: '/api/uploads/{id}', 'Upload-Expires': 'When an unfinished upload is removed', ...TUS_HEADERS } } },
    errors: {
      ...tusErrors,
      413: { description: 'Upload-Length over MAX_UPLOAD_BYTES', codes: ['upload_too_large'] },
      507: { description: 'Upload-Length would leave less than MIN_FREE_BYTES free', codes: ['insufficient_storage'] },
      ...databaseDown,
    },
  },
  state: {
    method: 'get',
    path: '/uploads/:id',
    head: true,
    summary: 'The upload: offset, length, status, and the video it became (or why not). HEAD is the tus offset request',
    description: 'HEAD answers as tus says (`Upload-Offset`, `Upload-Length`, `Cache-Control: no-store`, no body).',
    params: UploadIdParams,
    responses: { 200: { description: 'The upload (HEAD: its tus headers)', json: UploadStateSchema, headers: { 'Upload-Offset': 'HEAD only', 'Upload-Length': 'HEAD only' } } },
    errors: {
      ...tusErrors,
      404: { description: 'Unknown (or removed) upload', codes: ['upload_not_found'] },
      410: { description: 'HEAD: it expired unfinished', codes: ['upload_expired'] },
      ...databaseDown,
    },
  },
  append: {
    method: 'patch',
    path: '/uploads/:id',
    summary: 'tus: append bytes at Upload-Offset (Content-Type: application/offset+octet-stream)',
    description:
      'The PATCH that brings the last byte also stores the video as a multipart upload would (probe, record) and answers it in `Video-Id` ' +
      '(and `Video-Location: /api/videos/{id}`); a file that is not a video is answered 415 and nothing of it is kept.',
    params: UploadIdParams,
    body: { schema: z.file().describe('The bytes from Upload-Offset on.'), required: true, mediaType: 'application/offset+octet-stream' },
    responses: {
      204: {
        description: 'Appended',
        headers: { 'Upload-Offset': 'The new offset', 'Video-Id': 'On the last PATCH: the stored video', 'Video-Location': 'On the last PATCH: /api/videos/{id}', ...TUS_HEADERS },
      },
    },
    errors: {
      ...tusErrors,
      404: { description: 'Unknown, terminated or finished upload', codes: ['upload_not_found'] },
      409: { description: 'Upload-Offset is not the server\'s offset', codes: ['upload_offset_mismatch'] },
      410: { description: 'Expired unfinished (UPLOAD_EXPIRY_HOURS)', codes: ['upload_expired'] },
      413: { description: 'More bytes than Upload-Length or MAX_UPLOAD_BYTES', codes: ['upload_too_large'] },
      415: { description: 'The finished file is not a video FFmpeg can use; the upload and its bytes are gone', codes: ['unsupported_media'] },
      507: { description: 'Not enough free space for the bytes of this request', codes: ['insufficient_storage'] },
      ...databaseDown,
    },
  },
  terminate: {
    method: 'delete',
    path: '/uploads/:id',
    summary: 'tus termination: abandon an unfinished upload and its bytes',
    params: UploadIdParams,
    responses: { 204: { description: 'Removed', headers: TUS_HEADERS } },
    errors: { ...tusErrors, 404: { description: 'Unknown upload', codes: ['upload_not_found'] }, ...databaseDown },
  },
});

export interface UploadRouteDeps {
  resumable: ResumableUploadService;
  maxUploadBytes: number;
  /** The free-space guard for creation (Upload-Length) and for appends (Content-Length). */
  freeSpace: { create: RequestHandler; append: RequestHandler };
}

/** The tus server over the service's FileStore; its answers become the app's (problems for errors). */
export function tusServer(resumable: ResumableUploadService, maxUploadBytes: number): TusServer {
  const server = new TusServer({
    path: '/api/uploads',
    datastore: resumable.store,
    maxSize: maxUploadBytes,
    relativeLocation: true,
    disableTerminationForFinishedUploads: true,
    exposedHeaders: ['Video-Id', 'Video-Location'],
    namingFunction: () => randomUUID(),
    generateUrl: (_req, { id }) => `/api/uploads/${id}`,
    getFileIdFromRequest: (req) => /\/uploads\/([0-9a-fA-F-]{36})\/?$/.exec(new URL(req.url).pathname)?.[1]?.toLowerCase(),
    onUploadCreate: async (req, upload) => {
      await resumable.created(upload, ownerTenantOf(expressRequestOf(req)));
      return {};
    },
    onUploadFinish: async (_req, upload: Upload) => {
      const outcome = await resumable.finish(upload);
      if (outcome.kind === 'video') return { headers: { 'Video-Id': outcome.videoId, 'Video-Location': `/api/videos/${outcome.videoId}` } };
      const e = outcome.error;
      const status = e.kind === 'unsupported_media_type' ? 415 : 500;
      return { status_code: status, body: JSON.stringify(problem(status, e.message, { code: e.code, retryable: e.retryable })) };
    },
  });
  server.on('POST_TERMINATE', (_req: unknown, _res: unknown, id: string) => {
    resumable.terminated(id).catch(() => {});
  });
  return server;
}

export function uploadsRouter(d: UploadRouteDeps): Router {
  // Made on the first request: building the app touches no service.
  let server: TusServer | undefined;
  const tus = () => (server ??= tusServer(d.resumable, d.maxUploadBytes));
  const handle: RequestHandler = (req, res) => relay(tus(), req, res);
  // Another tenant's upload is unknown to the caller, on every tus route that names one.
  const visible: RequestHandler = async (req, _res, next) => {
    const id = IdParam.safeParse(req.params.id);
    if (id.success) await d.resumable.ensureVisible(id.data.toLowerCase(), tenantFilterOf(req));
    next();
  };
  return routerFrom(uploadRoutes, {
    discover: handle,
    create: [d.freeSpace.create, handle],
    state: async (req, res) => {
      const id = IdParam.safeParse(req.params.id);
      if (!id.success) throw notFound(`Upload ${JSON.stringify(req.params.id)} does not exist.`, 'upload_not_found');
      if (req.method === 'HEAD') {
        await d.resumable.ensureVisible(id.data.toLowerCase(), tenantFilterOf(req));
        return relay(tus(), req, res);
      }
      res.json(await d.resumable.state(id.data.toLowerCase(), tenantFilterOf(req)));
    },
    append: [visible, d.freeSpace.append, handle],
    terminate: [visible, handle],
  });
}

/** Runs one request through the tus server and sends its answer; an error answer becomes a problem document. */
/** The Express request a web Request was made from by `relay` (srvx keeps it), for who it acts for. */
function expressRequestOf(web: globalThis.Request): Request {
  const req = (web as { runtime?: { node?: { req?: Request } } }).runtime?.node?.req;
  if (!req) throw new Error('the tus request did not come through relay()');
  return req;
}

async function relay(tus: TusServer, req: Request, res: Response): Promise<void> {
  const answer = await tus.handleWeb(new NodeRequest({ req, res }) as unknown as globalThis.Request);
  if (res.destroyed) return;
  for (const [name, value] of answer.headers) if (name !== 'content-length' && name !== 'content-type') res.setHeader(name, value);
  const body = await answer.text();
  if (answer.status < 400) {
    res.status(answer.status).end(answer.status === 204 || req.method === 'HEAD' ? undefined : body);
    return;
  }
  sendProblem(res, asProblem(answer.status, body));
}

const CODE_OF_TUS_STATUS: Record<number, ErrorCode> = {
  400: 'invalid_tus_request',
  403: 'invalid_tus_request',
  404: 'upload_not_found',
  409: 'upload_offset_mismatch',
  410: 'upload_expired',
  412: 'tus_resumable_required',
  413: 'upload_too_large',
  501: 'invalid_tus_request',
};

function asProblem(status: number, body: string) {
  try {
    const given = JSON.parse(body) as { code?: unknown; detail?: unknown; status?: unknown };
    if (isErrorCode(given.code) && typeof given.detail === 'string') return problem(status, given.detail, { code: given.code });
  } catch {
    // tus's own errors are plain sentences.
  }
  const code = CODE_OF_TUS_STATUS[status] ?? 'internal_error';
  const detail = body.trim() || 'The upload request failed.';
    return problem(statusOfCode(code), code === 'internal_error' ? 'The upload could not be stored; try again.' : detail, { code });
}
