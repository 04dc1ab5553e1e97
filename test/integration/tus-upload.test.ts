import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Upload as StoredUpload } from '@tus/server';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retentionOf } from '../../src/deps.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip, makeTextFile } from '../helpers/media.js';
import { until } from '../helpers/poll.js';

let h: Harness;
let server: http.Server;
let base: string;
let media: string;

const BIG_BYTES = 200 * 1024 * 1024;

beforeAll(async () => {
  h = await startHarness({ worker: false });
  server = http.createServer(h.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-tus-'));
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

/** A real 2 s clip followed by random bytes up to 200 MB: ffprobe reads the clip, every byte counts for the hash. */
async function bigVideo(): Promise<string> {
  const clip = await makeClip(media, { durationSec: 2, width: 160, height: 120, fps: 10, audio: false });
  const file = path.join(media, 'big.mp4');
  const head = await readFile(clip);
  let left = BIG_BYTES - head.length;
  await pipeline(
    Readable.from((function* () {
      yield head;
      while (left > 0) {
        const n = Math.min(left, 8 << 20);
        left -= n;
        yield randomBytes(n);
      }
    })()),
    createWriteStream(file),
  );
  return file;
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

const resumableDir = () => path.join(h.storageDir, 'resumable');
const filesIn = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).sort();
const videoCount = async () => (await h.infra.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM videos`)[0]!.n;

interface Traffic {
  headOffsets: number[];
  patchOffsets: number[];
}

function tusUpload(input: Buffer, opts: Partial<tus.UploadOptions> & { traffic?: Traffic }): tus.Upload {
  return new tus.Upload(input, {
    endpoint: `${base}/api/uploads`,
    metadata: { filename: 'big.mp4' },
    retryDelays: [0, 200, 500, 1000, 2000],
    onBeforeRequest: (req) => {
      if (req.getMethod() === 'PATCH') opts.traffic?.patchOffsets.push(Number(req.getHeader('Upload-Offset')));
    },
    onAfterResponse: (req, res) => {
      if (req.getMethod() === 'HEAD') opts.traffic?.headOffsets.push(Number(res.getHeader('Upload-Offset')));
    },
    ...opts,
  });
}

describe('resumable uploads (tus)', () => {
  it('when a 200 MB upload is aborted at about half and resumed, then it goes on from the server\'s offset and the stored file is the source byte for byte', async () => {
    const file = await bigVideo();
    const source = await readFile(file);
    const expected = await sha256(file);

    const first = await new Promise<tus.Upload>((resolve, reject) => {
      const upload: tus.Upload = tusUpload(source, {
        onProgress: (sent) => {
          if (sent >= BIG_BYTES / 2) {
            void upload.abort().then(() => resolve(upload));
          }
        },
        onError: reject,
        onSuccess: () => reject(new Error('the upload finished before it was aborted')),
      });
      upload.start();
    });
    expect(first.url).toMatch(/\/api\/uploads\/[0-9a-f-]{36}$/);
    const id = first.url!.split('/').pop()!;
    const held = await until('the server holds part of the upload', 30_000, async () => {
      const state = (await h.api.get(`/api/uploads/${id}`)).body;
      return state.offset > 0 ? state : undefined;
    });
    expect(held).toMatchObject({ status: 'receiving', length: BIG_BYTES, originalName: 'big.mp4', videoId: null });
    expect(held.offset).toBeLessThan(BIG_BYTES);

    const traffic: Traffic = { headOffsets: [], patchOffsets: [] };
    const finished = await new Promise<tus.OnSuccessPayload>((resolve, reject) => {
      const upload = tusUpload(source, { uploadUrl: first.url!, traffic, onError: reject, onSuccess: resolve });
      upload.start();
    });

    expect(traffic.headOffsets.length).toBeGreaterThan(0);
    const resumedAt = traffic.patchOffsets[0]!;
    expect(resumedAt).toBe(traffic.headOffsets[0]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThan(BIG_BYTES);

    const videoId = finished.lastResponse.getHeader('Video-Id');
    expect(videoId).toMatch(/^[0-9a-f-]{36}$/);
    expect(finished.lastResponse.getHeader('Video-Location')).toBe(`/api/videos/${videoId}`);
    const state = (await h.api.get(`/api/uploads/${id}`)).body;
    expect(state).toMatchObject({ status: 'completed', offset: BIG_BYTES, videoId, error: null });
    const video = (await h.api.get(`/api/videos/${videoId}`)).body;
    expect(video).toMatchObject({ kind: 'upload', status: 'ready', originalName: 'big.mp4', sizeBytes: BIG_BYTES, container: 'mp4', videoCodec: 'h264' });
    const stored = h.infra.storage.blobs.localPathOf((await h.infra.uow.read.videos.findById(videoId!))!.storageKey!)!;
    expect(await sha256(stored)).toBe(expected);
    expect(await filesIn(resumableDir())).toEqual([]);
    expect(await filesIn(h.infra.storage.scratch.tmpDir)).toEqual([]);
  }, 240_000);

  it('when the finished upload is a text file, then the last PATCH answers 415 and nothing is left: no video, no file', async () => {
    const text = await readFile(await makeTextFile(media));
    const videosBefore = await videoCount();
    const storedBefore = await filesIn(path.join(h.storageDir, 'videos'));

    const err = await new Promise<tus.DetailedError>((resolve, reject) => {
      const upload = new tus.Upload(text, {
        endpoint: `${base}/api/uploads`,
        metadata: { filename: 'notes.txt' },
        onError: (e) => resolve(e as tus.DetailedError),
        onSuccess: () => reject(new Error('a text file was accepted')),
      });
      upload.start();
    });

    const response = err.originalResponse!;
    expect(response.getStatus()).toBe(415);
    expect(JSON.parse(response.getBody())).toMatchObject({ status: 415, code: 'unsupported_media', retryable: false });
    expect(response.getHeader('Content-Type')).toMatch(/application\/problem\+json/);
    const id = err.originalRequest!.getURL().split('/').pop()!;
    const state = (await h.api.get(`/api/uploads/${id}`)).body;
    expect(state).toMatchObject({ status: 'failed', videoId: null, error: { code: 'unsupported_media' } });
    expect(await videoCount()).toBe(videosBefore);
    expect(await filesIn(path.join(h.storageDir, 'videos'))).toEqual(storedBefore);
    expect(await filesIn(resumableDir())).toEqual([]);
    expect(await filesIn(h.infra.storage.scratch.tmpDir)).toEqual([]);
    expect((await h.api.head(`/api/uploads/${id}`).set('Tus-Resumable', '1.0.0')).status).toBe(404);
  });

  it('when two requests finish the same upload at once, then one video is made and both answer it', async () => {
    const clip = await readFile(await makeClip(media, { durationSec: 1, width: 64, height: 48, fps: 10, audio: false }));
    const store = h.infra.resumable.store;
    const upload = new StoredUpload({ id: crypto.randomUUID(), size: clip.length, offset: 0, metadata: { filename: 'race.mp4' }, creation_date: new Date().toISOString() });
    await store.create(upload);
    await h.infra.resumable.created(upload, 'default');
    await store.write(Readable.from([clip]), upload.id, 0);
    const full = await store.getUpload(upload.id);
    const videosBefore = await videoCount();

    const [a, b] = await Promise.all([h.infra.resumable.finish(full), h.infra.resumable.finish(full)]);

    expect(a.kind).toBe('video');
    expect(b).toEqual(a);
    expect(await videoCount()).toBe(videosBefore + 1);
    expect(await filesIn(resumableDir())).toEqual([]);
  });

  it('when an upload announces more than MAX_UPLOAD_BYTES, then creation is refused with 413 and nothing is created', async () => {
    const res = await h.api.post('/api/uploads').set('Tus-Resumable', '1.0.0').set('Upload-Length', String(h.config.maxUploadBytes + 1));
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 'upload_too_large' });
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(await filesIn(resumableDir())).toEqual([]);
  });

  it('when a request has no Tus-Resumable header, then 412 with a problem', async () => {
    const res = await h.api.post('/api/uploads').set('Upload-Length', '10');
    expect(res.status).toBe(412);
    expect(res.body).toMatchObject({ code: 'tus_resumable_required' });
  });

  it('when an unfinished upload is past UPLOAD_EXPIRY_HOURS, then retention removes it and its bytes, and a finished one stays readable', async () => {
    const created = await h.api
      .post('/api/uploads')
      .set('Tus-Resumable', '1.0.0')
      .set('Upload-Length', '1000')
      .set('Upload-Metadata', `filename ${Buffer.from('half.mp4').toString('base64')}`);
    expect(created.status).toBe(201);
    expect(created.headers['upload-expires']).toBeTruthy();
    const url = String(created.headers.location);
    const patched = await h.api.patch(url).set('Tus-Resumable', '1.0.0').set('Upload-Offset', '0').set('Content-Type', 'application/offset+octet-stream').send(Buffer.alloc(400, 7));
    expect(patched.status).toBe(204);
    expect(patched.headers['upload-offset']).toBe('400');
    const id = url.split('/').pop()!;
    expect((await h.api.get(url)).body).toMatchObject({ status: 'receiving', offset: 400, length: 1000 });
    expect(await filesIn(resumableDir())).toEqual([id, `${id}.json`].sort());
    const finishedBefore = (await h.infra.sql<{ id: string }[]>`SELECT id FROM resumable_uploads WHERE status IN ('completed', 'failed')`).map((r) => r.id);

    const report = await retentionOf(h.config, h.infra).runOnce(new Date(Date.now() + h.config.uploadExpiryMs + 60_000));

    expect(report.uploadsExpired).toBe(1);
    expect((await h.api.get(url)).status).toBe(404);
    expect((await h.api.head(url).set('Tus-Resumable', '1.0.0')).status).toBe(404);
    expect(await filesIn(resumableDir())).toEqual([]);
    for (const done of finishedBefore) expect((await h.api.get(`/api/uploads/${done}`)).status).toBe(200);
  });

  it('when the studio page loads, then tus-js-client comes from this origin through the import map, as an ES module with Upload', async () => {
    const page = await h.api.get('/');
    const map = JSON.parse(/<script type="importmap">(.*?)<\/script>/s.exec(page.text)![1]!) as { imports: Record<string, string> };
    const url = map.imports['tus-js-client'];
    expect(url).toMatch(/^\/studio\/[0-9a-f]{12}\/vendor\/tus\.mjs$/);
    const served = await h.api.get(url!);
    expect(served.status).toBe(200);
    expect(served.headers['content-type']).toMatch(/^text\/javascript/);
    const copy = path.join(media, 'tus-from-studio.mjs');
    await writeFile(copy, served.text);
    const mod = (await import(copy)) as { Upload?: unknown; isSupported?: unknown };
    expect(typeof mod.Upload).toBe('function');
    expect(mod.isSupported).toBeDefined();
  });

  it('when API_KEY is set, then tus needs the key; when the volume lacks MIN_FREE_BYTES, then creation is 507 and nothing is created', async () => {
    const guarded = await startHarness({ worker: false, env: { API_KEY: 'k3y', MIN_FREE_BYTES: String(2 ** 50) } });
    try {
      const create = () => guarded.api.post('/api/uploads').set('Tus-Resumable', '1.0.0').set('Upload-Length', '1000');
      const anonymous = await create();
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.code).toBe('unauthorized');
      const refused = await create().set('Authorization', 'Bearer k3y');
      expect(refused.status).toBe(507);
      expect(refused.body).toMatchObject({ code: 'insufficient_storage', retryable: true });
      expect(await filesIn(path.join(guarded.storageDir, 'resumable'))).toEqual([]);
      expect((await guarded.infra.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM resumable_uploads`)[0]!.n).toBe(0);
    } finally {
      await guarded.close();
    }
  });
});
