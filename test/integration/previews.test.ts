import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trim, upload } from '../helpers/api-flow.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';

// No worker: a recorded trim's output stays pending, which is what the 409 cases need.
let h: Harness;
let media: string;
let video: { id: string; durationSec: number };
let pendingOutput: string;
const UNKNOWN = '3f1b0e62-6f5f-4c1e-9d1a-0a0a0a0a0a0a';

const jpegSize = (b: Buffer) => {
  // The first SOF0/SOF2 marker holds height then width.
  for (let i = 2; i < b.length - 9; i++) {
    if (b[i] === 0xff && (b[i + 1] === 0xc0 || b[i + 1] === 0xc2)) return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
  }
  return undefined;
};

beforeAll(async () => {
  h = await startHarness({ worker: false });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
  video = (await upload(h, await makeClip(media, { durationSec: 4, width: 320, height: 240, fps: 25, gop: 25 }))) as typeof video;
  pendingOutput = (await trim(h, video.id, { start: 1, end: 2 })).outputVideoId as string;
});

afterAll(async () => {
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

const binary = (res: { on: Function; setEncoding: Function }, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

describe('GET /api/videos/:id/thumbnail', () => {
  it('when asked for a width and a time, then a JPEG of that width with a strong ETag, and 304 for that ETag', async () => {
    const res = await h.api.get(`/api/videos/${video.id}/thumbnail?t=2.5&width=200`).buffer(true).parse(binary);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(jpegSize(res.body as Buffer)).toEqual({ width: 200, height: 150 });
    const etag = res.headers.etag as string;
    expect(etag).toMatch(/^"[^"]+"$/);
    const again = await h.api.get(`/api/videos/${video.id}/thumbnail?t=2.5&width=200`).set('If-None-Match', etag);
    expect(again.status).toBe(304);
  });

  it('when no time is given, then the poster (default width 320)', async () => {
    const res = await h.api.get(`/api/videos/${video.id}/thumbnail`).buffer(true).parse(binary);
    expect(res.status).toBe(200);
    expect(jpegSize(res.body as Buffer)).toEqual({ width: 320, height: 240 });
  });

  it.each([
    ['t=-1', 't'],
    ['t=abc', 't'],
    ['t=4.5', 't'],
    ['width=8', 'width'],
    ['width=12.5', 'width'],
    ['width=5000', 'width'],
  ])('when the query is %s, then 422 naming %s', async (query, field) => {
    const res = await h.api.get(`/api/videos/${video.id}/thumbnail?${query}`);
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toContain(field);
  });

  it('when the video is not ready, then 409 naming its status; an unknown one is 404', async () => {
    const res = await h.api.get(`/api/videos/${pendingOutput}/thumbnail`);
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain('pending');
    expect((await h.api.get(`/api/videos/${UNKNOWN}/thumbnail`)).status).toBe(404);
  });
});

describe('GET /api/videos/:id/keyframes', () => {
  it('when the video has a keyframe every second, then exactly those times, the same on a second (cached) call', async () => {
    const res = await h.api.get(`/api/videos/${video.id}/keyframes`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ videoId: video.id, durationSec: video.durationSec, keyframes: [0, 1, 2, 3] });
    const cached = await h.api.get(`/api/videos/${video.id}/keyframes`);
    expect(cached.body).toEqual(res.body);
  });

  it('when the video is not ready, then 409; unknown, 404', async () => {
    expect((await h.api.get(`/api/videos/${pendingOutput}/keyframes`)).status).toBe(409);
    expect((await h.api.get(`/api/videos/${UNKNOWN}/keyframes`)).status).toBe(404);
  });
});

describe('GET /api/videos/:id/storyboard', () => {
  it('when asked, then an index of evenly spaced tiles and a sprite whose size matches it', async () => {
    const res = await h.api.get(`/api/videos/${video.id}/storyboard`);
    expect(res.status).toBe(200);
    const sb = res.body as { imageUrl: string; columns: number; rows: number; tileWidth: number; tileHeight: number; tiles: { t: number; x: number; y: number }[] };
    expect(sb.tiles).toHaveLength(16);
    expect(sb.tiles.map((t) => t.t)).toEqual(Array.from({ length: 16 }, (_, i) => i * 0.25));
    expect(sb.tiles[11]).toEqual({ t: 2.75, x: 160, y: 120 });
    const image = await h.api.get(sb.imageUrl).buffer(true).parse(binary);
    expect(image.status).toBe(200);
    expect(jpegSize(image.body as Buffer)).toEqual({ width: sb.columns * sb.tileWidth, height: sb.rows * sb.tileHeight });
  });

  it('when the video is not ready, then 409 for the index and the sprite', async () => {
    expect((await h.api.get(`/api/videos/${pendingOutput}/storyboard`)).status).toBe(409);
    expect((await h.api.get(`/api/videos/${pendingOutput}/storyboard.jpg`)).status).toBe(409);
  });
});

describe('the studio page', () => {
  it('when / is asked for, then HTML whose module URLs are versioned and immutable, with a CSP allowing only this origin', async () => {
    const res = await h.api.get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    const main = /src="(\/studio\/[0-9a-f]{12}\/main\.js)"/.exec(res.text)?.[1];
    expect(main).toBeTruthy();
    const mod = await h.api.get(main!);
    expect(mod.status).toBe(200);
    expect(mod.headers['content-type']).toMatch(/^text\/javascript/);
    expect(mod.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const map = JSON.parse(/<script type="importmap">(.*?)<\/script>/s.exec(res.text)![1]!) as { imports: Record<string, string> };
    for (const url of Object.values(map.imports)) expect((await h.api.get(url)).status, url).toBe(200);
  });
});

describe('with API_KEY set', () => {
  let keyed: Harness;
  beforeAll(async () => {
    keyed = await startHarness({ worker: false, env: { API_KEY: 's3cret' } });
  });
  afterAll(async () => keyed?.close());

  it('when POST /api/session is called with the key, then its cookie lets GETs in but never a write', async () => {
    expect((await keyed.api.get('/api/videos')).status).toBe(401);
    expect((await keyed.api.post('/api/session')).status).toBe(401);
    const opened = await keyed.api.post('/api/session').set('Authorization', 'Bearer s3cret');
    expect(opened.status).toBe(204);
    const cookie = (opened.headers['set-cookie'] as unknown as string[])[0]!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const pair = cookie.split(';')[0]!;
    expect((await keyed.api.get('/api/videos').set('Cookie', pair)).status).toBe(200);
    expect((await keyed.api.post('/api/jobs/run').set('Cookie', pair).send({})).status).toBe(401);
    expect((await keyed.api.get('/api/videos').set('Cookie', `${pair.split('=')[0]}=1.forged`)).status).toBe(401);
  });
});
