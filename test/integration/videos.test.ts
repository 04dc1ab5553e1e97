import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, download, trim, upload } from '../helpers/api-flow.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeAudioOnly, makeClip, makePng, makeTextFile } from '../helpers/media.js';

let h: Harness;
let media: string;
let clip: string;
let webm: string;

const storedFiles = async () => [
  ...(await readdir(path.join(h.storageDir, 'videos'))),
  ...(await readdir(path.join(h.storageDir, 'tmp'))),
];

beforeAll(async () => {
  h = await startHarness({ worker: false, env: { MAX_UPLOAD_BYTES: '300000' } });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
  clip = await makeClip(media, { name: 'clip', durationSec: 2, width: 320, height: 240, fps: 25, audio: true });
  webm = await makeClip(media, { name: 'clip-vp9', durationSec: 1, width: 160, height: 120, fps: 25, audio: true, codec: 'vp9', container: 'webm' });
});

afterAll(async () => {
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

describe('POST /api/videos', () => {
  it('when a video is uploaded, then it answers 201 with probed metadata and a Location', async () => {
    const res = await h.api.post('/api/videos').attach('file', clip, { filename: 'holiday.mp4' });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/api/videos/${res.body.id}`);
    expect(res.body).toMatchObject({
      kind: 'upload',
      status: 'ready',
      originalName: 'holiday.mp4',
      width: 320,
      height: 240,
      fps: 25,
      videoCodec: 'h264',
      audioCodec: 'aac',
      container: 'mp4',
      sourceJobId: null,
      downloadUrl: `/api/videos/${res.body.id}/download`,
    });
    expect(res.body.durationSec).toBeCloseTo(2, 1);
    expect(typeof res.body.sizeBytes).toBe('number');
    expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);
  });

  it('when a webm is uploaded, then its codecs and container are named as ffprobe does', async () => {
    const v = await upload(h, webm);
    expect(v).toMatchObject({ videoCodec: 'vp9', audioCodec: 'opus', container: 'webm' });
  });

  it('when the form has no file field, then 400 and nothing is stored', async () => {
    const before = await storedFiles();
    const res = await h.api.post('/api/videos').field('other', 'x');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.detail).toMatch(/file/);
    expect(await storedFiles()).toEqual(before);
  });

  it('when the file is in another field, then 400', async () => {
    const res = await h.api.post('/api/videos').attach('video', clip);
    expect(res.status).toBe(400);
  });

  it('when the body is not multipart at all, then 400', async () => {
    const res = await h.api.post('/api/videos').send({ file: 'x' });
    expect(res.status).toBe(400);
  });

  it('when the file is larger than MAX_UPLOAD_BYTES, then 413 and no partial file is kept', async () => {
    const big = path.join(media, 'big.mp4');
    await writeFile(big, randomBytes(400_000));
    const before = await storedFiles();
    const res = await h.api.post('/api/videos').attach('file', big);
    expect(res.status).toBe(413);
    expect(res.body.status).toBe(413);
    expect(await storedFiles()).toEqual(before);
  });

  it.each([
    ['a text file', () => makeTextFile(media)],
    ['a still image', () => makePng(media)],
    ['an audio-only file', () => makeAudioOnly(media)],
  ])('when %s is uploaded, then 415 and the file is deleted', async (_what, make) => {
    const file = await make();
    const before = await storedFiles();
    const { body: listBefore } = await h.api.get('/api/videos');
    const res = await h.api.post('/api/videos').attach('file', file);
    expect(res.status).toBe(415);
    expect(res.body.detail).toBeTruthy();
    expect(await storedFiles()).toEqual(before);
    const { body: listAfter } = await h.api.get('/api/videos');
    expect(listAfter.total).toBe(listBefore.total);
  });
});

describe('GET /api/videos', () => {
  it('when videos exist, then the list is newest first with total, limit and offset', async () => {
    const a = await upload(h, clip);
    const b = await upload(h, clip);
    const res = await h.api.get('/api/videos?limit=2');
    expect(res.status).toBe(200);
    expect(res.body.limit).toBe(2);
    expect(res.body.offset).toBe(0);
    expect(res.body.items.map((v: { id: string }) => v.id)).toEqual([b.id, a.id]);
    const page2 = await h.api.get('/api/videos?limit=1&offset=1');
    expect(page2.body.items[0].id).toBe(a.id);
    expect(page2.body.total).toBe(res.body.total);
  });

  it('when filtering by kind and status, then only matching videos come back', async () => {
    const v = await upload(h, clip);
    await trim(h, v.id, { start: 0, end: 1 });
    const trims = await h.api.get('/api/videos?kind=trim&status=pending');
    expect(trims.status).toBe(200);
    expect(trims.body.items.length).toBeGreaterThan(0);
    expect(trims.body.items.every((x: { kind: string; status: string }) => x.kind === 'trim' && x.status === 'pending')).toBe(true);
    const uploads = await h.api.get('/api/videos?kind=upload');
    expect(uploads.body.items.every((x: { kind: string }) => x.kind === 'upload')).toBe(true);
  });

  it.each(['limit=0', 'limit=101', 'limit=abc', 'offset=-1', 'kind=film', 'status=done', 'limit=1.5', 'kind=trim&kind=concat'])(
    'when the query is %s, then 400',
    async (q) => {
      const res = await h.api.get(`/api/videos?${q}`);
      expect(res.status).toBe(400);
      expect(res.body.type).toBeTruthy();
    },
  );

  it('when no limit is given, then it defaults to 20', async () => {
    const res = await h.api.get('/api/videos');
    expect(res.body.limit).toBe(20);
  });
});

describe('GET /api/videos/:id', () => {
  it('when the video exists, then 200', async () => {
    const v = await upload(h, clip);
    const res = await h.api.get(`/api/videos/${v.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(v);
  });

  it.each(['3f1b0e62-6f5f-4c1e-9d1a-0a0a0a0a0a0a', 'not-a-uuid', '1'])('when the id is %s, then 404', async (id) => {
    const res = await h.api.get(`/api/videos/${id}`);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
  });
});

describe('DELETE /api/videos/:id', () => {
  it('when the video is unused, then 204 and its record and file are gone', async () => {
    const v = await upload(h, clip);
    const filesBefore = await readdir(path.join(h.storageDir, 'videos'));
    const res = await h.api.delete(`/api/videos/${v.id}`);
    expect(res.status).toBe(204);
    expect((await h.api.get(`/api/videos/${v.id}`)).status).toBe(404);
    const filesAfter = await readdir(path.join(h.storageDir, 'videos'));
    expect(filesAfter.length).toBe(filesBefore.length - 1);
    expect(filesAfter.some((f) => f.startsWith(v.id))).toBe(false);
  });

  it('when a pending job uses it or produces it, then 409', async () => {
    const v = await upload(h, clip);
    const job = await trim(h, v.id, { start: 0, end: 1 });
    const input = await h.api.delete(`/api/videos/${v.id}`);
    expect(input.status).toBe(409);
    expect(input.body.detail).toContain(job.id);
    const output = await h.api.delete(`/api/videos/${job.outputVideoId}`);
    expect(output.status).toBe(409);
  });

  it('when the video does not exist, then 404', async () => {
    expect((await h.api.delete('/api/videos/3f1b0e62-6f5f-4c1e-9d1a-0a0a0a0a0a0a')).status).toBe(404);
  });
});

describe('GET /api/videos/:id/download', () => {
  it('when the video is ready, then the whole file with a strong ETag and a safe attachment name', async () => {
    const v = await upload(h, clip, 'my "holiday"\r\n../évé.mov');
    const res = await h.api.get(`/api/videos/${v.id}/download`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('video/mp4');
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers.etag).toMatch(/^"[^"]+"$/);
    expect(Number(res.headers['content-length'])).toBe(v.sizeBytes);
    const cd = res.headers['content-disposition'] as string;
    expect(cd).toMatch(/^attachment; filename="[^"\\\r\n/]*\.mp4"; filename\*=UTF-8''/);
    expect(cd).not.toMatch(/[\r\n]/);
    expect(cd).not.toContain('../');
    expect(decodeURIComponent(cd.split("UTF-8''")[1]!)).toMatch(/évé\.mp4$/);
    const body = await download(h, v.id);
    expect(body.length).toBe(v.sizeBytes);
  });

  it('when a Range is asked, then 206 with exactly those bytes', async () => {
    const v = await upload(h, clip);
    const whole = await download(h, v.id);
    const res = await h.api.get(`/api/videos/${v.id}/download`).set('Range', 'bytes=10-19').buffer(true);
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 10-19/${whole.length}`);
    expect(res.headers['content-length']).toBe('10');
    expect(Buffer.from(res.body).equals(whole.subarray(10, 20))).toBe(true);
    const suffix = await h.api.get(`/api/videos/${v.id}/download`).set('Range', 'bytes=-5').buffer(true);
    expect(suffix.status).toBe(206);
    expect(Buffer.from(suffix.body).equals(whole.subarray(whole.length - 5))).toBe(true);
    const open = await h.api.get(`/api/videos/${v.id}/download`).set('Range', `bytes=${whole.length - 3}-`).buffer(true);
    expect(open.headers['content-range']).toBe(`bytes ${whole.length - 3}-${whole.length - 1}/${whole.length}`);
  });

  it.each(['bytes=999999999-', 'bytes=abc', 'bytes=5-2', 'items=0-1'])('when the Range is %s, then 416 with the size', async (range) => {
    const v = await upload(h, clip);
    const res = await h.api.get(`/api/videos/${v.id}/download`).set('Range', range);
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toBe(`bytes */${v.sizeBytes}`);
  });

  it('when If-None-Match carries the ETag, then 304 without a body', async () => {
    const v = await upload(h, clip);
    const first = await h.api.get(`/api/videos/${v.id}/download`);
    const res = await h.api.get(`/api/videos/${v.id}/download`).set('If-None-Match', first.headers.etag as string);
    expect(res.status).toBe(304);
    expect(res.headers.etag).toBe(first.headers.etag);
  });

  it('when asked with HEAD, then the headers and no body', async () => {
    const v = await upload(h, clip);
    const res = await h.api.head(`/api/videos/${v.id}/download`);
    expect(res.status).toBe(200);
    expect(Number(res.headers['content-length'])).toBe(v.sizeBytes);
    expect(res.headers.etag).toBeTruthy();
    expect(res.text ?? '').toBe('');
  });

  it('when the video is not ready, then 409 naming its status', async () => {
    const v = await upload(h, clip);
    const job = await trim(h, v.id, { start: 0, end: 1 });
    const res = await h.api.get(`/api/videos/${job.outputVideoId}/download`);
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain('pending');
  });

  it('when the video does not exist, then 404', async () => {
    expect((await h.api.get('/api/videos/3f1b0e62-6f5f-4c1e-9d1a-0a0a0a0a0a0a/download')).status).toBe(404);
  });
});

describe('commands keep their inputs', () => {
  it('when a concat uses a video, then deleting it is refused until the job is cancelled', async () => {
    const a = await upload(h, clip);
    const b = await upload(h, clip);
    const job = await concat(h, [a.id, b.id]);
    expect((await h.api.delete(`/api/videos/${b.id}`)).status).toBe(409);
    expect((await h.api.post(`/api/jobs/${job.id}/cancel`)).status).toBe(200);
    expect((await h.api.delete(`/api/videos/${b.id}`)).status).toBe(204);
  });
});
