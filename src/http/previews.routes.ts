import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { validation } from '../domain/errors.js';
import type { PreviewFile, PreviewService } from '../services/preview.service.js';
import { pathId } from './ids.js';
import { tenantFilterOf } from './principal.js';
import { databaseDown, defineRoutes, routerFrom, type ErrorDoc } from './route-declarations.js';
import { VideoIdParams } from './schemas.js';

export const ThumbnailQuery = z.object({
  t: z.coerce.number().min(0).optional().describe('Seconds into the video; default: the poster frame (1 s in, or a quarter of a shorter video).'),
  width: z.coerce.number().int().min(16).max(1920).default(320).describe('Width in pixels (16 to 1920); the height keeps the aspect.'),
});

export const KeyframesSchema = z
  .object({
    videoId: z.uuid(),
    durationSec: z.number(),
    keyframes: z.array(z.number()).describe('Presentation times (seconds, ascending) of the keyframes of the first video stream.'),
  })
  .meta({ id: 'Keyframes' });

export const StoryboardSchema = z
  .object({
    videoId: z.uuid(),
    imageUrl: z.string().describe('The JPEG sprite holding every tile.'),
    durationSec: z.number(),
    columns: z.number().int(),
    rows: z.number().int(),
    tileWidth: z.number().int(),
    tileHeight: z.number().int(),
    tiles: z.array(z.object({ t: z.number(), x: z.number().int(), y: z.number().int() })).describe('Tile i shows the video at `t`; it sits at (x, y) in the sprite.'),
  })
  .meta({ id: 'Storyboard' });

const notReady: Record<number, ErrorDoc> = {
  404: { description: 'Unknown video, or its file is gone', codes: ['video_not_found', 'video_file_missing'] },
  409: { description: 'The video is not ready (detail names the status)', codes: ['video_not_ready'] },
};
const jpeg = { 'image/jpeg': {} };

export const previewRoutes = defineRoutes({ base: '/api', access: 'apiKey', tag: 'previews' }, {
  thumbnail: {
    method: 'get',
    path: '/videos/:id/thumbnail',
    summary: 'A JPEG frame of a ready video (its poster by default); cached on disk',
    params: VideoIdParams,
    query: ThumbnailQuery,
    responses: {
      200: { description: 'The frame', content: jpeg, headers: { ETag: 'Strong', 'Cache-Control': 'private, max-age=3600' } },
      304: { description: 'If-None-Match matched the ETag' },
    },
    errors: { ...notReady, 422: '`t` negative or beyond the duration, or `width` not an integer in 16..1920', ...databaseDown },
  },
  storyboard: {
    method: 'get',
    path: '/videos/:id/storyboard',
    summary: 'The index of the storyboard: evenly spaced tiles in one JPEG sprite',
    params: VideoIdParams,
    responses: { 200: { description: 'Where each tile is and which time it shows', json: StoryboardSchema } },
    errors: { ...notReady, ...databaseDown },
  },
  storyboardImage: {
    method: 'get',
    path: '/videos/:id/storyboard.jpg',
    summary: 'The storyboard sprite (made once per video)',
    params: VideoIdParams,
    responses: {
      200: { description: 'The sprite', content: jpeg, headers: { ETag: 'Strong' } },
      304: { description: 'If-None-Match matched the ETag' },
    },
    errors: { ...notReady, ...databaseDown },
  },
  keyframes: {
    method: 'get',
    path: '/videos/:id/keyframes',
    summary: 'Keyframe times of a ready video, read from the packet index without decoding; cached',
    params: VideoIdParams,
    responses: { 200: { description: 'The keyframes', json: KeyframesSchema } },
    errors: { ...notReady, ...databaseDown },
  },
});

/** Query values are checked like body values: a well-formed request with a bad number is 422. */
function parseThumbnailQuery(query: unknown) {
  const result = ThumbnailQuery.safeParse(query ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.join('.') || 'query';
  throw validation(`${field}: ${issue.message}`, { field });
}

async function sendImage(req: Request, res: Response, image: PreviewFile): Promise<void> {
  res.setHeader('ETag', image.etag);
  res.setHeader('Cache-Control', 'private, max-age=3600');
  if ((req.get('If-None-Match') ?? '').split(',').some((t) => t.trim().replace(/^W\//, '') === image.etag)) {
    res.status(304).end();
    return;
  }
  res.status(200).type('image/jpeg');
  await pipeline(createReadStream(image.file), res).catch(() => {});
}

export function previewsRouter(previews: PreviewService): Router {
  return routerFrom(previewRoutes, {
    thumbnail: async (req, res) => {
      const id = pathId(req.params.id, 'Video');
      const q = parseThumbnailQuery(req.query);
      await sendImage(req, res, await previews.thumbnail(id, q, tenantFilterOf(req)));
    },
    storyboard: async (req, res) => {
      res.setHeader('Cache-Control', 'private, no-cache');
      res.json(await previews.storyboard(pathId(req.params.id, 'Video'), tenantFilterOf(req)));
    },
    storyboardImage: async (req, res) => {
      await sendImage(req, res, await previews.storyboardImage(pathId(req.params.id, 'Video'), tenantFilterOf(req)));
    },
    keyframes: async (req, res) => {
      res.setHeader('Cache-Control', 'private, no-cache');
      res.json(await previews.keyframes(pathId(req.params.id, 'Video'), tenantFilterOf(req)));
    },
  });
}
