import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, upload, waitForJob } from '../helpers/api-flow.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';
import { listen, openEvents } from '../helpers/sse.js';

let h: Harness;
let media: string;
let server: Server;
let baseUrl: string;
let videoId: string;

beforeAll(async () => {
  h = await startHarness();
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
  videoId = (await upload(h, await makeClip(media, { durationSec: 2, width: 64, height: 48, fps: 25, audio: false }))).id;
  ({ server, url: baseUrl } = await listen(h.app));
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

const metadata = { orderId: 'A-17', nested: { list: [1, 'two', null, true], n: 2.5 }, 'ключ': 'значение 🎬' };

/** A JSON object whose serialization is exactly `bytes` long. */
function metadataOf(bytes: number): Record<string, string> {
  const overhead = JSON.stringify({ pad: '' }).length;
  return { pad: 'x'.repeat(bytes - overhead) };
}

describe('client metadata', () => {
  it('when a trim carries metadata, then the job, its output video and every event about them return it as given', async () => {
    const events = await openEvents(baseUrl);
    try {
      const res = await h.api.post(`/api/videos/${videoId}/trim`).send({ start: 0, end: 1, metadata });
      expect(res.status).toBe(201);
      expect(res.body.metadata).toEqual(metadata);
      const job = res.body;
      expect((await h.api.get(`/api/jobs/${job.id}`)).body.metadata).toEqual(metadata);
      expect((await h.api.get(`/api/videos/${job.outputVideoId}`)).body.metadata).toEqual(metadata);

      await run(h, [job.id]);
      expect((await waitForJob(h, job.id)).status).toBe('completed');
      await events.waitFor((m) => m.event === 'job' && m.data.id === job.id && m.data.status === 'completed', 30_000);
      await events.waitFor((m) => m.event === 'video' && m.data.id === job.outputVideoId && m.data.status === 'ready', 30_000);
      const about = events.messages.filter((m) => m.data?.id === job.id || m.data?.id === job.outputVideoId);
      expect(about.map((m) => m.data.status)).toEqual(expect.arrayContaining(['pending', 'queued', 'in_progress', 'completed', 'ready']));
      for (const m of about) expect(m.data.metadata, `${m.event} ${m.data.status}`).toEqual(metadata);
      const ready = (await h.api.get(`/api/videos/${job.outputVideoId}`)).body;
      expect(ready).toMatchObject({ status: 'ready', metadata });
      expect((await h.api.get('/api/jobs?type=trim')).body.items.find((j: { id: string }) => j.id === job.id).metadata).toEqual(metadata);
    } finally {
      events.close();
    }
  }, 60_000);

  it('when a concat carries metadata, then its job and output video return it; without metadata both say {}', async () => {
    const res = await h.api.post('/api/videos/concat').send({ videoIds: [videoId, videoId], metadata: { batch: 3 } });
    expect(res.status).toBe(201);
    expect(res.body.metadata).toEqual({ batch: 3 });
    expect((await h.api.get(`/api/videos/${res.body.outputVideoId}`)).body.metadata).toEqual({ batch: 3 });

    const plain = await h.api.post('/api/videos/concat').send({ videoIds: [videoId, videoId] });
    expect(plain.body.metadata).toEqual({});
    expect((await h.api.get(`/api/videos/${plain.body.outputVideoId}`)).body.metadata).toEqual({});
    expect((await h.api.get(`/api/videos/${videoId}`)).body.metadata).toEqual({});
  });

  it('when metadata is 4096 bytes serialized, then it is kept; at 4097, 422 metadata_too_large and nothing is recorded', async () => {
    const fits = metadataOf(4096);
    expect(JSON.stringify(fits).length).toBe(4096);
    const kept = await h.api.post(`/api/videos/${videoId}/trim`).send({ start: 0, end: 1, metadata: fits });
    expect(kept.status).toBe(201);
    expect(kept.body.metadata).toEqual(fits);

    const jobsBefore = (await h.api.get('/api/jobs')).body.total;
    const videosBefore = (await h.api.get('/api/videos')).body.total;
    for (const req of [
      h.api.post(`/api/videos/${videoId}/trim`).send({ start: 0, end: 1, metadata: metadataOf(4097) }),
      h.api.post('/api/videos/concat').send({ videoIds: [videoId, videoId], metadata: metadataOf(4097) }),
      // Counted in UTF-8 bytes, not characters.
      h.api.post('/api/videos/concat').send({ videoIds: [videoId, videoId], metadata: { pad: 'é'.repeat(2100) } }),
    ]) {
      const res = await req;
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ code: 'metadata_too_large', retryable: false, field: 'metadata' });
    }
    expect((await h.api.get('/api/jobs')).body.total).toBe(jobsBefore);
    expect((await h.api.get('/api/videos')).body.total).toBe(videosBefore);
  });

  it('when metadata is not an object, then 400 invalid_body', async () => {
    for (const bad of [[1, 2], 'text', 42, null]) {
      const res = await h.api.post(`/api/videos/${videoId}/trim`).send({ start: 0, end: 1, metadata: bad });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.code).toBe('invalid_body');
    }
  });
});
