import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';
import { until } from '../helpers/poll.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { fetchToFile } from '../../src/imports/url-fetcher.js';

type Json = Record<string, any>;

let h: Harness;
let strict: Harness;
let origin: http.Server;
let base: string;
let media: string;
let clip: Buffer;
let receiver: WebhookReceiver;
const hits: Record<string, number> = {};
const stalled = new Set<http.ServerResponse>();

/** The origin the imports fetch from: each path is one way a source can behave. */
function startOrigin(): Promise<void> {
  origin = http.createServer((req, res) => {
    const url = req.url ?? '/';
    hits[url] = (hits[url] ?? 0) + 1;
    if (url === '/clip.mp4') return void res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': clip.length }).end(clip);
    if (url === '/moved') return void res.writeHead(302, { location: '/clip.mp4' }).end();
    if (url === '/to-file') return void res.writeHead(302, { location: 'file:///etc/passwd' }).end();
    if (url.startsWith('/hop/')) {
      const n = Number(url.slice(5));
      return void res.writeHead(302, { location: n > 0 ? `/hop/${n - 1}` : '/clip.mp4' }).end();
    }
    if (url === '/chunked.mp4') {
      res.writeHead(200, { 'content-type': 'video/mp4' });
      res.write(clip.subarray(0, 512));
      return void res.end(clip.subarray(512));
    }
    if (url === '/notes.txt') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('just some notes, not a video\n'.repeat(50));
    if (url === '/slow.mp4') {
      // Headers and a first bite, then nothing: the import's time limit must end it.
      res.writeHead(200, { 'content-type': 'video/mp4' });
      res.write(clip.subarray(0, 1024));
      stalled.add(res);
      return;
    }
    if (url === '/flaky.mp4') {
      if (hits[url] === 1) return void res.writeHead(503).end('try later');
      return void res.writeHead(200, { 'content-type': 'video/mp4' }).end(clip);
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
  });
  return new Promise((resolve) => origin.listen(0, '127.0.0.1', resolve));
}

beforeAll(async () => {
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-import-'));
  clip = await readFile(await makeClip(media, { durationSec: 1, width: 64, height: 48, fps: 10, audio: false }));
  await startOrigin();
  base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  receiver = await WebhookReceiver.start();
  h = await startHarness({ env: { IMPORT_ALLOW_PRIVATE: 'true', IMPORT_TIMEOUT_MS: '1500', WEBHOOK_ALLOW_PRIVATE: 'true' } });
  strict = await startHarness({ env: { IMPORT_TIMEOUT_MS: '5000' } });
  const hook = await h.api.post('/api/webhooks').send({ url: receiver.url, events: ['video.ready', 'video.failed'] });
  expect(hook.status).toBe(201);
}, 60_000);

afterAll(async () => {
  for (const res of stalled) res.destroy();
  origin?.closeAllConnections();
  await new Promise((resolve) => origin?.close(resolve));
  await receiver?.close();
  await h?.close();
  await strict?.close();
  await rm(media, { recursive: true, force: true });
});

async function importUrl(on: Harness, url: string, name?: string): Promise<Json> {
  const res = await on.api.post('/api/videos/import').send(name ? { url, name } : { url });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect(res.headers.location).toBe(`/api/videos/${res.body.id}`);
  expect(res.body).toMatchObject({ kind: 'upload', status: 'processing', source: { url }, downloadUrl: null, error: null });
  return res.body;
}

const settled = (on: Harness, id: string, timeoutMs = 20_000) =>
  until(`video ${id} ready or failed`, timeoutMs, async () => {
    const v = (await on.api.get(`/api/videos/${id}`)).body;
    return v.status === 'ready' || v.status === 'failed' ? (v as Json) : undefined;
  });

const eventTypes = async (on: Harness, id: string) =>
  (await on.infra.sql<{ type: string }[]>`SELECT type FROM outbox WHERE subject_id = ${id} ORDER BY id`).map((r) => r.type);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const tmpFiles = async (on: Harness) => readdir(on.infra.storage.scratch.tmpDir);

describe('import from a URL', () => {
  it('when the URL serves a video, then the video becomes ready with its probed metadata, the same bytes, and video.ready is announced', async () => {
    const v = await importUrl(h, `${base}/clip.mp4`);
    expect(v.originalName).toBe('clip.mp4');
    const done = await settled(h, v.id);
    expect(done).toMatchObject({ status: 'ready', width: 64, height: 48, container: 'mp4', sizeBytes: clip.length, error: null, errorCode: null, downloadUrl: `/api/videos/${v.id}/download` });
    const downloaded = await h.api.get(`/api/videos/${v.id}/download`).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(sha(downloaded.body as Buffer)).toBe(sha(clip));
    expect(await eventTypes(h, v.id)).toEqual(['video.created', 'video.import_requested', 'video.ready']);
    await until('the video.ready webhook', 10_000, () => receiver.received.find((r) => r.event.type === 'video.ready' && r.event.data.id === v.id));
  });

  it('when the URL redirects, then the redirect is followed and the video is ready, named as asked', async () => {
    const v = await importUrl(h, `${base}/moved`, 'holiday.mp4');
    const done = await settled(h, v.id);
    expect(done).toMatchObject({ status: 'ready', originalName: 'holiday.mp4', source: { url: `${base}/moved` } });
  });

  it('when the redirects go on past 5, then the video fails with source_redirect_refused', async () => {
    const ok = await settled(h, (await importUrl(h, `${base}/hop/4`)).id);
    expect(ok.status).toBe('ready');
    const v = await importUrl(h, `${base}/hop/5`);
    const done = await settled(h, v.id);
    expect(done).toMatchObject({ status: 'failed', errorCode: 'source_redirect_refused' });
  });

  it('when the URL answers 404, then the video fails saying so, once, and video.failed is announced', async () => {
    const v = await importUrl(h, `${base}/missing.mp4`);
    const done = await settled(h, v.id);
    expect(done).toMatchObject({ status: 'failed', errorCode: 'source_http_error', downloadUrl: null });
    expect(done.error).toContain('404');
    expect(hits['/missing.mp4']).toBe(1);
    expect(await eventTypes(h, v.id)).toEqual(['video.created', 'video.import_requested', 'video.failed']);
    await until('the video.failed webhook', 10_000, () => receiver.received.find((r) => r.event.type === 'video.failed' && r.event.data.id === v.id));
    expect((await h.api.get(`/api/videos/${v.id}/download`)).status).toBe(409);
  });

  it('when the server answers 503 first, then the import is tried again and the video becomes ready', async () => {
    const v = await importUrl(h, `${base}/flaky.mp4`);
    const done = await settled(h, v.id, 30_000);
    expect(done.status).toBe('ready');
    expect(hits['/flaky.mp4']).toBe(2);
  });

  it('when the server is too slow, then the video fails at IMPORT_TIMEOUT_MS and no partial file is left', async () => {
    const v = await importUrl(h, `${base}/slow.mp4`);
    const done = await settled(h, v.id);
    expect(done).toMatchObject({ status: 'failed', errorCode: 'source_timeout' });
    expect((await tmpFiles(h)).filter((f) => f.includes(v.id))).toEqual([]);
    expect((await readdir(path.join(h.storageDir, 'videos'))).filter((f) => f.startsWith(v.id))).toEqual([]);
  });

  it('when the URL serves something that is not a video, then the video fails with unsupported_media and nothing is kept', async () => {
    const v = await importUrl(h, `${base}/notes.txt`);
    const done = await settled(h, v.id);
    expect(done).toMatchObject({ status: 'failed', errorCode: 'unsupported_media' });
    expect(done.error).toMatch(/not a video/);
    expect((await tmpFiles(h)).filter((f) => f.includes(v.id))).toEqual([]);
    expect((await readdir(path.join(h.storageDir, 'videos'))).filter((f) => f.startsWith(v.id))).toEqual([]);
  });

  it('when the URL is not http(s) or not a URL, then 422 import_url_refused and nothing is recorded', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://example.com/a.mp4', 'not a url', 'http://user:pw@example.com/a.mp4']) {
      const res = await h.api.post('/api/videos/import').send({ url });
      expect(res.status, url).toBe(422);
      expect(res.body).toMatchObject({ code: 'import_url_refused', field: 'url' });
    }
    expect((await h.api.post('/api/videos/import').send({ url: `${base}/clip.mp4`, extra: 1 })).status).toBe(400);
    expect((await h.api.post('/api/videos/import').send({})).body.code).toBe('invalid_body');
  });

  it('when IMPORT_ALLOW_PRIVATE is not set and the URL is a loopback address, then 422 import_url_refused and nothing is recorded', async () => {
    const before = (await strict.api.get('/api/videos')).body.total;
    for (const url of [`${base}/clip.mp4`, 'http://[::1]/a.mp4', 'http://10.0.0.8/a.mp4', 'http://169.254.169.254/latest/meta-data']) {
      const res = await strict.api.post('/api/videos/import').send({ url });
      expect(res.status, url).toBe(422);
      expect(res.body).toMatchObject({ code: 'import_url_refused', retryable: false });
    }
    expect((await strict.api.get('/api/videos')).body.total).toBe(before);
  });

  it('when IMPORT_ALLOW_PRIVATE is not set and a hostname resolves to loopback, then the connection is refused and the video fails', async () => {
    const port = (origin.address() as AddressInfo).port;
    const served = hits['/clip.mp4'] ?? 0;
    const v = await importUrl(strict, `http://localhost:${port}/clip.mp4`);
    const done = await settled(strict, v.id);
    expect(done).toMatchObject({ status: 'failed', errorCode: 'source_address_refused' });
    expect(done.error).toContain('IMPORT_ALLOW_PRIVATE');
    expect(hits['/clip.mp4'] ?? 0).toBe(served);
  });

  it('when a redirect leads to a URL that is not http(s), then that hop is refused and the video fails', async () => {
    const v = await importUrl(h, `${base}/to-file`);
    const done = await settled(h, v.id);
    expect(done).toMatchObject({ status: 'failed', errorCode: 'source_redirect_refused' });
    expect(done.error).toContain('file:');
  });

  it('when the queue lost an import (never handed over), then the reconciler puts it back and it becomes ready', async () => {
    await h.infra.relay.stop();
    let id: string;
    try {
      id = (await importUrl(h, `${base}/clip.mp4`, 'lost.mp4')).id;
      await h.infra.sql`UPDATE videos SET updated_at = now() - interval '1 day' WHERE id = ${id}`;
      expect((await h.api.get(`/api/videos/${id}`)).body.status).toBe('processing');
      await h.worker!.reconciler.reconcileOnce();
      const done = await settled(h, id);
      expect(done).toMatchObject({ status: 'ready', originalName: 'lost.mp4' });
    } finally {
      h.infra.relay.start();
    }
    // The late hand-off of the same import changes nothing.
    await until('the import event handed over', 10_000, async () => {
      const [row] = await h.infra.sql<{ dispatchedAt: Date | null }[]>`SELECT dispatched_at FROM outbox WHERE subject_id = ${id} AND type = 'video.import_requested'`;
      return row?.dispatchedAt ?? undefined;
    });
    expect(await eventTypes(h, id)).toEqual(['video.created', 'video.import_requested', 'video.ready']);
  });

  it('when the file is larger than the limit, announced or not, then the download stops with source_too_large', async () => {
    for (const url of [`${base}/clip.mp4`, `${base}/chunked.mp4`]) {
      const failure = await fetchToFile(url, path.join(media, `big-${hits[url] ?? 0}`), { maxBytes: 1000, timeoutMs: 5_000, allowPrivate: true }).catch((e: unknown) => e);
      expect(failure, url).toMatchObject({ code: 'source_too_large', retryable: false });
    }
    const fits = await fetchToFile(`${base}/chunked.mp4`, path.join(media, 'fits.mp4'), { maxBytes: clip.length, timeoutMs: 5_000, allowPrivate: true });
    expect(fits.bytes).toBe(clip.length);
    expect(sha(await readFile(path.join(media, 'fits.mp4')))).toBe(sha(clip));
  });
});
