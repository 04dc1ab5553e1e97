import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, trim, upload } from '../helpers/api-flow.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip, makeTextFile } from '../helpers/media.js';
import { problemShapeErrors } from '../helpers/problem-codes.js';

// No worker: recorded jobs stay pending, or queued once run.
let h: Harness;
let media: string;
let video: { id: string; durationSec: number };
const UNKNOWN = '3f1b0e62-6f5f-4c1e-9d1a-0a0a0a0a0a0a';

beforeAll(async () => {
  h = await startHarness({ worker: false, env: { MAX_UPLOAD_BYTES: '200000' } });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
  video = (await upload(h, await makeClip(media, { durationSec: 2, width: 64, height: 48, fps: 25, audio: false }))) as typeof video;
});

afterAll(async () => {
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

/** Asserts the answer is a problem with `code`, declared for its route in the OpenAPI document. */
function expectProblem(res: Response, method: string, url: string, status: number, code: string, retryable: boolean): void {
  expect({ status: res.status, code: res.body.code, retryable: res.body.retryable }, JSON.stringify(res.body)).toEqual({ status, code, retryable });
  expect(problemShapeErrors(res.status, res.headers['content-type'], res.body, method, url)).toEqual([]);
  expect(typeof res.body.detail).toBe('string');
}

const jobCount = async () => (await h.api.get('/api/jobs')).body.total as number;

describe('problem codes', () => {
  it('when a trim range is empty, ends before it starts, or ends beyond the input, then 422 with the code saying which, and nothing is recorded', async () => {
    const before = await jobCount();
    const url = `/api/videos/${video.id}/trim`;
    expectProblem(await h.api.post(url).send({ start: 1, end: 1 }), 'POST', url, 422, 'trim_range_empty', false);
    expectProblem(await h.api.post(url).send({ start: 1.01, end: 1.02 }), 'POST', url, 422, 'trim_range_empty', false);
    expectProblem(await h.api.post(url).send({ start: 0, end: video.durationSec + 5 }), 'POST', url, 422, 'trim_end_beyond_duration', false);
    expectProblem(await h.api.post(url).send({ start: 0, end: 1, mode: 'fast' }), 'POST', url, 422, 'validation_failed', false);
    expect((await h.api.post(url).send({ start: 0, end: 1, mode: 'fast' })).body.field).toBe('mode');
    expect(await jobCount()).toBe(before);
  });

  it('when a body is not JSON, has the wrong shape, or a query is bad, then 400 with invalid_json, invalid_body or invalid_query', async () => {
    const url = `/api/videos/${video.id}/trim`;
    expectProblem(await h.api.post(url).set('Content-Type', 'application/json').send('{"start": 1,'), 'POST', url, 400, 'invalid_json', false);
    expectProblem(await h.api.post(url).send({ start: 0, end: 1, extra: true }), 'POST', url, 400, 'invalid_body', false);
    expectProblem(await h.api.post(url).send({ start: 0, end: 1, metadata: ['not', 'an', 'object'] }), 'POST', url, 400, 'invalid_body', false);
    expectProblem(await h.api.get('/api/videos?limit=1000'), 'GET', '/api/videos', 400, 'invalid_query', false);
  });

  it('when a video, a job or a route does not exist, then 404 with video_not_found, job_not_found or route_not_found', async () => {
    expectProblem(await h.api.get(`/api/videos/${UNKNOWN}`), 'GET', `/api/videos/${UNKNOWN}`, 404, 'video_not_found', false);
    expectProblem(await h.api.get('/api/videos/not-a-uuid'), 'GET', '/api/videos/not-a-uuid', 404, 'video_not_found', false);
    expectProblem(await h.api.get(`/api/jobs/${UNKNOWN}`), 'GET', `/api/jobs/${UNKNOWN}`, 404, 'job_not_found', false);
    expectProblem(await h.api.post('/api/videos/concat').send({ videoIds: [video.id, UNKNOWN] }), 'POST', '/api/videos/concat', 404, 'video_not_found', false);
    expectProblem(await h.api.post('/api/jobs/run').send({ jobIds: [UNKNOWN] }), 'POST', '/api/jobs/run', 404, 'job_not_found', false);
    expectProblem(await h.api.get('/api/nothing-here'), 'GET', '/api/nothing-here', 404, 'route_not_found', false);
  });

  it('when a job or video is in the wrong state, then 409 with the code of that state, retryable where waiting helps', async () => {
    const job = await trim(h, video.id, { start: 0, end: 1 });
    const dl = `/api/videos/${job.outputVideoId}/download`;
    expectProblem(await h.api.get(dl), 'GET', dl, 409, 'video_not_ready', true);
    const del = `/api/videos/${video.id}`;
    expectProblem(await h.api.delete(del), 'DELETE', del, 409, 'video_in_use', true);
    const retry = `/api/jobs/${job.id}/retry`;
    expectProblem(await h.api.post(retry), 'POST', retry, 409, 'job_not_failed', false);

    expect(await run(h, [job.id])).toEqual([job.id]);
    expectProblem(await h.api.post('/api/jobs/run').send({ jobIds: [job.id] }), 'POST', '/api/jobs/run', 409, 'job_not_pending', false);
    const cancel = `/api/jobs/${job.id}/cancel`;
    expect((await h.api.post(cancel)).status).toBe(200);
    expectProblem(await h.api.post(cancel), 'POST', cancel, 409, 'job_finished', false);
    // The output of a cancelled job will never be ready: waiting does not help.
    expectProblem(await h.api.get(dl), 'GET', dl, 409, 'video_not_ready', false);
  });

  it('when an upload is no video, has no file or is too large, then unsupported_media, file_missing or upload_too_large', async () => {
    const before = (await h.api.get('/api/videos')).body.total;
    expectProblem(await h.api.post('/api/videos').attach('file', await makeTextFile(media)), 'POST', '/api/videos', 415, 'unsupported_media', false);
    expectProblem(await h.api.post('/api/videos').field('other', 'x'), 'POST', '/api/videos', 400, 'file_missing', false);
    expectProblem(await h.api.post('/api/videos').attach('file', Buffer.alloc(300_000, 1), 'big.mp4'), 'POST', '/api/videos', 413, 'upload_too_large', false);
    expect((await h.api.get('/api/videos')).body.total).toBe(before);
  });

  it('when a byte range cannot be served, then 416 range_not_satisfiable', async () => {
    const url = `/api/videos/${video.id}/download`;
    expectProblem(await h.api.get(url).set('Range', 'bytes=99999999-'), 'GET', url, 416, 'range_not_satisfiable', false);
  });
});
