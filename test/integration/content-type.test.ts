import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trim, upload } from '../helpers/api-flow.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';
import { problemShapeErrors } from '../helpers/problem-codes.js';

// `curl -d '{…}'` sends application/x-www-form-urlencoded: such a body must never be taken for "no body".
let h: Harness;
let media: string;
let video: Record<string, any>;

beforeAll(async () => {
  h = await startHarness({ worker: false });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
  video = await upload(h, await makeClip(media, { durationSec: 2, width: 160, height: 120, fps: 25 }));
});

afterAll(async () => {
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

const CONTENT_TYPES = ['application/x-www-form-urlencoded', 'text/plain'];
const count = async (url: string) => {
  const body = (await h.api.get(url)).body as { total?: number; items: unknown[] };
  return body.total ?? body.items.length;
};

function expect415(res: { status: number; headers: Record<string, string>; body: Record<string, unknown> }, method: string, url: string, sent: string) {
  expect(res.status).toBe(415);
  expect(res.body.code).toBe('unsupported_content_type');
  expect(res.body.detail).toContain('Content-Type: application/json');
  expect(res.body.detail).toContain(sent);
  expect(problemShapeErrors(res.status, res.headers['content-type'], res.body, method, url)).toEqual([]);
}

describe.each(CONTENT_TYPES)('a JSON body sent as %s', (type) => {
  it('when it is a trim, then 415 naming the missing Content-Type and no job is recorded', async () => {
    const before = await count('/api/jobs');
    const url = `/api/videos/${video.id}/trim`;
    const res = await h.api.post(url).set('Content-Type', type).send(JSON.stringify({ start: 0, end: 1 }));
    expect415(res, 'POST', url, type);
    expect(await count('/api/jobs')).toBe(before);
  });

  it('when it is a concat, then 415 and no job is recorded', async () => {
    const before = await count('/api/jobs');
    const res = await h.api.post('/api/videos/concat').set('Content-Type', type).send(JSON.stringify({ videoIds: [video.id, video.id] }));
    expect415(res, 'POST', '/api/videos/concat', type);
    expect(await count('/api/jobs')).toBe(before);
  });

  it('when it is a run naming one job, then 415 and no job is queued (not every pending one)', async () => {
    const named = await trim(h, video.id, { start: 0, end: 1 });
    const other = await trim(h, video.id, { start: 0.5, end: 1.5 });
    const res = await h.api.post('/api/jobs/run').set('Content-Type', type).send(JSON.stringify({ jobIds: [named.id] }));
    expect415(res, 'POST', '/api/jobs/run', type);
    for (const id of [named.id, other.id]) expect((await h.api.get(`/api/jobs/${id}`)).body.status).toBe('pending');
  });

  it('when it registers a webhook, then 415 and none is registered', async () => {
    const before = await count('/api/webhooks');
    const res = await h.api.post('/api/webhooks').set('Content-Type', type).send(JSON.stringify({ url: 'https://example.com/hook' }));
    expect415(res, 'POST', '/api/webhooks', type);
    expect(await count('/api/webhooks')).toBe(before);
  });
});

describe('requests without a body', () => {
  it('when run is posted with no body at all, then it still queues (202)', async () => {
    const res = await h.api.post('/api/jobs/run');
    expect(res.status).toBe(202);
  });

  it('when a JSON body comes as application/json, then it is read as before', async () => {
    const res = await h.api.post(`/api/videos/${video.id}/trim`).set('Content-Type', 'application/json; charset=utf-8').send(JSON.stringify({ start: 0, end: 1 }));
    expect(res.status).toBe(201);
  });
});
