import { tenantFilterOf } from './principal.js';
import type { Router } from 'express';
import { z } from 'zod';
import { DomainError } from '../domain/errors.js';
import { MAX_LINK_TTL_SEC, type SignedLinkService } from '../services/signed-link.service.js';
import type { DownloadService } from '../services/download.service.js';
import { sendDownload, type DownloadMode } from './download.js';
import { pathId } from './ids.js';
import { databaseDown, defineRoutes, jsonBodyErrors, routerFrom } from './route-declarations.js';
import { VideoIdParams } from './schemas.js';
import { parseBody } from './validate.js';

export const LinkBody = z
  .strictObject({
    expiresInSec: z
      .number()
      .int()
      .min(1)
      .max(MAX_LINK_TTL_SEC)
      .default(3600)
      .describe(`Seconds the link works, 1 to ${MAX_LINK_TTL_SEC} (7 days); default 3600.`),
  })
  .meta({ id: 'SignedLinkRequest' });

export const SignedLinkSchema = z
  .object({
    url: z.string().describe('An absolute URL (scheme and host as this request reached the API) that downloads the video without the API key; Range and HEAD work on it.'),
    expiresAt: z.iso.datetime().describe('When the link stops working (whole seconds).'),
  })
  .meta({ id: 'SignedLink' });

export const SignedDownloadQuery = z.object({
  expires: z.coerce.number().int().positive().describe('Unix time (seconds) the link expires at.'),
  signature: z.string().regex(/^[A-Za-z0-9_-]{43}$/).describe('base64url HMAC-SHA256 of the path and expiry under the server secret.'),
});

const downloadResponses = {
  200: {
    description: 'The whole file (as GET /api/videos/{id}/download)',
    content: { 'video/*': {}, 'application/octet-stream': {} },
    headers: { ETag: 'Strong', 'Content-Disposition': 'attachment, with a safe filename', 'Accept-Ranges': 'bytes' },
  },
  206: { description: 'One byte range', content: { 'video/*': {}, 'application/octet-stream': {} }, headers: { 'Content-Range': 'bytes start-end/size' } },
  302: { description: 'With STORAGE_BACKEND=s3 and S3_DOWNLOADS=redirect: to a presigned URL of the bucket, valid at most until the link expires (15 minutes at most)', headers: { Location: 'The presigned URL' } },
  304: { description: 'If-None-Match matched the ETag' },
};

export const linkRoutes = defineRoutes({ base: '/api', access: 'apiKey', tag: 'links' }, {
  create: {
    method: 'post',
    path: '/videos/:id/links',
    summary: 'A signed download link that works without the API key until it expires',
    description:
      'The link is `GET /api/signed/videos/{id}/download?expires=…&signature=…`. Nothing is stored: every link to a video stops working (403 `link_revoked`) when the video is deleted. ' +
      'Links are signed with LINK_SECRET (or a secret generated in DATA_DIR): several API hosts need the same LINK_SECRET.',
    params: VideoIdParams,
    body: { schema: LinkBody, required: false },
    responses: { 201: { description: 'The link', json: SignedLinkSchema } },
    errors: {
      ...jsonBodyErrors,
      404: { description: 'Unknown video, or its file is gone', codes: ['video_not_found', 'video_file_missing'] },
      409: { description: 'The video is not ready', codes: ['video_not_ready'] },
      422: { description: '`expiresInSec` below 1 or above 604800 (7 days); a non-integer is 400 `invalid_body`', codes: ['validation_failed'] },
      ...databaseDown,
    },
  },
});

export const signedDownloadRoutes = defineRoutes({ base: '/api', access: 'public', tag: 'links' }, {
  download: {
    method: 'get',
    path: '/signed/videos/:id/download',
    head: true,
    summary: 'Download through a signed link (no API key; Range, If-Range, If-None-Match, HEAD)',
    params: VideoIdParams,
    query: SignedDownloadQuery,
    responses: downloadResponses,
    errors: {
      403: { description: 'The link is malformed or tampered with, has expired, or its video was deleted', codes: ['link_invalid', 'link_expired', 'link_revoked'] },
      404: { description: "The video's file is gone", codes: ['video_file_missing'] },
      409: { description: 'The video is not ready', codes: ['video_not_ready'] },
      416: { description: 'Malformed or unsatisfiable byte range', codes: ['range_not_satisfiable'] },
      ...databaseDown,
    },
  },
});

export function linksRouter(links: SignedLinkService): Router {
  return routerFrom(linkRoutes, {
    create: async (req, res) => {
      const id = pathId(req.params.id, 'Video');
      const body = parseBody(LinkBody, req.body ?? {});
      const link = await links.create(id, body.expiresInSec, tenantFilterOf(req));
      res.status(201).json({ url: `${req.protocol}://${req.get('host')}${link.pathAndQuery}`, expiresAt: link.expiresAt.toISOString() });
    },
  });
}

/** Mounted before the API-key check: the signature is the credential. */
export function signedDownloadRouter(d: { links: SignedLinkService; downloads: DownloadService; downloadMode: DownloadMode }): Router {
  return routerFrom(signedDownloadRoutes, {
    download: async (req, res) => {
      const id = VideoIdParams.safeParse(req.params);
      const query = SignedDownloadQuery.safeParse(req.query);
      if (!id.success || !query.success) throw new DomainError('forbidden', 'The link is not valid: it lacks a well-formed expiry or signature.', {}, 'link_invalid');
      const { file, remainingSec } = await d.links.open(id.data.id.toLowerCase(), query.data.expires, query.data.signature);
      await sendDownload(d.downloads, file, req, res, d.downloadMode, remainingSec);
    },
  });
}
