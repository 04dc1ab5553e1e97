import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, trim, upload } from '../helpers/api-flow.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';

// No worker here: recorded commands stay where "run" leaves them.
let h: Harness;
let media: string;
let video: { id: string; durationSec: number };
const UNKNOWN = '3f1b0e62-6f5f-4c1e-9d1a-0a0a0a0a0a0a';

beforeAll(async () => {
  h = await startHarness({ worker: false });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
  video = (await upload(h, await makeClip(media, { durationSec: 3, width: 160, height: 120, fps: 25, audio: true }))) as typeof video;
});

afterAll(async () => {
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

const jobCount = async () => (await h.api.get('/api/jobs')).body.total as number;
const videoCount = async () => (await h.api.get('/api/videos')).body.total as number;

describe('POST /api/videos/:id/trim', () => {
  it('when the body is valid, then 201 with a pending job, a pending output video and a Location', async () => {
    const res = await h.api.post(`/api/videos/${video.id}/trim`).send({ start: 0.5, end: '00:00:02.250' });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/api/jobs/${res.body.id}`);
    expect(res.body).toMatchObject({
      type: 'trim',
      status: 'pending',
      params: { start: 0.5, end: 2.25, mode: 'accurate' },
      inputVideoIds: [video.id],
      dependsOn: [],
      progress: 0,
      attempts: 0,
      error: null,
      queuedAt: null,
      startedAt: null,
      finishedAt: null,
    });
    const out = await h.api.get(`/api/videos/${res.body.outputVideoId}`);
    expect(out.body).toMatchObject({ kind: 'trim', status: 'pending', sourceJobId: res.body.id, downloadUrl: null });
  });

  it('when mode is copy, then it is recorded', async () => {
    const job = await trim(h, video.id, { start: 1, end: 2, mode: 'copy' });
    expect(job.params.mode).toBe('copy');
  });

  it.each([
    [{ start: -1, end: 2 }, 'start'],
    [{ start: 2, end: 2 }, 'end'],
    [{ start: 2, end: 1 }, 'end'],
    [{ start: 0, end: 3.5 }, 'end'],
    [{ start: 0, end: 1e300 }, 'end'],
    [{ start: 0, end: 1, mode: 'fast' }, 'mode'],
    [{ start: 'abc', end: 1 }, 'start'],
    [{ start: '1:2:3', end: 1 }, 'start'],
  ])('when the body is %j, then 422 naming %s and nothing is recorded', async (body, field) => {
    const [jobs, videos] = [await jobCount(), await videoCount()];
    const res = await h.api.post(`/api/videos/${video.id}/trim`).send(body);
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 422, title: expect.any(String), type: expect.any(String) });
    expect(res.body.detail).toContain(field);
    expect([await jobCount(), await videoCount()]).toEqual([jobs, videos]);
  });

  it.each([
    ['{"start": 1,', 'application/json'],
    ['[1, 2]', 'application/json'],
    ['"x"', 'application/json'],
    ['{"start": 1}', 'application/json'],
    ['{"start": 1, "end": 2, "extra": true}', 'application/json'],
    ['{"start": true, "end": 2}', 'application/json'],
    ['{"start": null, "end": 2}', 'application/json'],
  ])('when the body is %s, then 400', async (raw, type) => {
    const res = await h.api.post(`/api/videos/${video.id}/trim`).set('Content-Type', type).send(raw);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('when the video is unknown, then 404', async () => {
    const res = await h.api.post(`/api/videos/${UNKNOWN}/trim`).send({ start: 0, end: 1 });
    expect(res.status).toBe(404);
    expect(res.body.detail).toContain(UNKNOWN);
  });

  it('when the input is the output of a pending job, then the end is not checked yet and the dependency is recorded', async () => {
    const first = await trim(h, video.id, { start: 0, end: 1 });
    const second = await trim(h, first.outputVideoId, { start: 0, end: 100 });
    expect(second.dependsOn).toEqual([first.id]);
  });
});

describe('POST /api/videos/concat', () => {
  it('when the ids are valid, then 201 keeping order and repeats', async () => {
    const t = await trim(h, video.id, { start: 0, end: 1 });
    const ids = [video.id, t.outputVideoId, video.id];
    const res = await h.api.post('/api/videos/concat').send({ videoIds: ids });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ type: 'concat', status: 'pending', params: {}, inputVideoIds: ids, dependsOn: [t.id] });
  });

  it('when an id is unknown, then 404 naming it and nothing is recorded', async () => {
    const jobs = await jobCount();
    const res = await h.api.post('/api/videos/concat').send({ videoIds: [video.id, UNKNOWN] });
    expect(res.status).toBe(404);
    expect(res.body.detail).toContain(UNKNOWN);
    expect(await jobCount()).toBe(jobs);
  });

  it.each([[[]], [['VIDEO']], [Array.from({ length: 101 }, () => 'VIDEO')]])('when there are too few or too many ids, then 422', async (ids) => {
    const res = await h.api.post('/api/videos/concat').send({ videoIds: ids.map(() => video.id) });
    expect(res.status).toBe(422);
  });

  it.each([{}, { videoIds: 'x' }, { videoIds: [1, 2] }, { videoIds: [null, null] }, { ids: [] }])('when the body is %j, then 400', async (body) => {
    const res = await h.api.post('/api/videos/concat').send(body);
    expect(res.status).toBe(400);
  });

  it('when an id is not a UUID, then 4xx and nothing is recorded', async () => {
    const res = await h.api.post('/api/videos/concat').send({ videoIds: [video.id, 'nope'] });
    expect(res.status).toBe(422);
  });
});

describe('POST /api/jobs/run', () => {
  it('when named, then only that job and the pending jobs it depends on are queued, dependencies first', async () => {
    const a = await trim(h, video.id, { start: 0, end: 1 });
    const b = await trim(h, video.id, { start: 1, end: 2 });
    const c = await concat(h, [a.outputVideoId, b.outputVideoId]);
    const other = await trim(h, video.id, { start: 0, end: 2 });
    const res = await h.api.post('/api/jobs/run').send({ jobIds: [c.id] });
    expect(res.status).toBe(202);
    expect(res.body.queued).toHaveLength(3);
    expect(new Set(res.body.queued)).toEqual(new Set([a.id, b.id, c.id]));
    expect(res.body.queued[2]).toBe(c.id);
    const o = await h.api.get(`/api/jobs/${other.id}`);
    expect(o.body.status).toBe('pending');
    const cj = await h.api.get(`/api/jobs/${c.id}`);
    expect(cj.body.status).toBe('queued');
    expect(cj.body.queuedAt).not.toBeNull();
  });

  it('when a named job is not pending, then 409 and nothing else is queued', async () => {
    const a = await trim(h, video.id, { start: 0, end: 1 });
    const b = await trim(h, video.id, { start: 0, end: 1 });
    await h.api.post('/api/jobs/run').send({ jobIds: [a.id] });
    const res = await h.api.post('/api/jobs/run').send({ jobIds: [b.id, a.id] });
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain(a.id);
    expect((await h.api.get(`/api/jobs/${b.id}`)).body.status).toBe('pending');
  });

  it('when a named job is unknown, then 404', async () => {
    const res = await h.api.post('/api/jobs/run').send({ jobIds: [UNKNOWN] });
    expect(res.status).toBe(404);
    expect(res.body.detail).toContain(UNKNOWN);
  });

  it.each([{ jobIds: 'x' }, { jobIds: [1] }, { all: true }])('when the body is %j, then 4xx', async (body) => {
    const res = await h.api.post('/api/jobs/run').send(body);
    expect([400, 422]).toContain(res.status);
  });

  it('when two clients run at the same moment, then every pending job is queued exactly once', async () => {
    const made = await Promise.all(Array.from({ length: 8 }, (_, i) => trim(h, video.id, { start: 0, end: 1 + (i % 2) })));
    const [r1, r2, r3] = await Promise.all([
      h.api.post('/api/jobs/run'),
      h.api.post('/api/jobs/run').send({}),
      h.api.post('/api/jobs/run'),
    ]);
    expect([r1.status, r2.status, r3.status]).toEqual([202, 202, 202]);
    const all = [...r1.body.queued, ...r2.body.queued, ...r3.body.queued];
    expect(new Set(all).size).toBe(all.length);
    for (const j of made) expect(all).toContain(j.id);
    const again = await h.api.post('/api/jobs/run');
    expect(again.body.queued).toEqual([]);
  });
});

describe('GET /api/jobs', () => {
  it('when filtered by status and type, then only those come back, newest first', async () => {
    const job = await concat(h, [video.id, video.id]);
    const res = await h.api.get('/api/jobs?status=pending&type=concat&limit=100');
    expect(res.status).toBe(200);
    expect(res.body.items[0].id).toBe(job.id);
    expect(res.body.items.every((j: { status: string; type: string }) => j.status === 'pending' && j.type === 'concat')).toBe(true);
    const times = res.body.items.map((j: { createdAt: string }) => j.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it.each(['status=running', 'type=cut', 'limit=500', 'offset=x'])('when the query is %s, then 400', async (q) => {
    expect((await h.api.get(`/api/jobs?${q}`)).status).toBe(400);
  });

  it('when a job id is unknown or not a UUID, then 404', async () => {
    expect((await h.api.get(`/api/jobs/${UNKNOWN}`)).status).toBe(404);
    expect((await h.api.get('/api/jobs/zzz')).status).toBe(404);
  });
});

describe('cancel and retry without a worker', () => {
  it('when a pending job is cancelled, then it and its dependants are cancelled and their outputs failed', async () => {
    const a = await trim(h, video.id, { start: 0, end: 1 });
    const c = await concat(h, [a.outputVideoId, video.id]);
    const res = await h.api.post(`/api/jobs/${a.id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('cancelled');
    expect(res.body.finishedAt).not.toBeNull();
    expect((await h.api.get(`/api/jobs/${c.id}`)).body.status).toBe('cancelled');
    expect((await h.api.get(`/api/videos/${a.outputVideoId}`)).body.status).toBe('failed');
    expect((await h.api.post(`/api/jobs/${a.id}/cancel`)).status).toBe(409);
  });

  it('when a job is not failed, then retry is 409; unknown is 404', async () => {
    const a = await trim(h, video.id, { start: 0, end: 1 });
    const res = await h.api.post(`/api/jobs/${a.id}/retry`);
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain('pending');
    expect((await h.api.post(`/api/jobs/${UNKNOWN}/retry`)).status).toBe(404);
    expect((await h.api.post(`/api/jobs/${UNKNOWN}/cancel`)).status).toBe(404);
  });

  it('when an input video is failed, then a new command on it is refused', async () => {
    const a = await trim(h, video.id, { start: 0, end: 1 });
    await h.api.post(`/api/jobs/${a.id}/cancel`);
    const res = await h.api.post(`/api/videos/${a.outputVideoId}/trim`).send({ start: 0, end: 1 });
    expect(res.status).toBe(409);
  });
});
