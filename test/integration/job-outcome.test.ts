import { readdir, rm, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, download, run, trim, upload, waitForJob } from '../helpers/api-flow.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { countFrames, makeClip, probeJson } from '../helpers/media.js';
import { firstDifference, readFrameNumbers } from '../helpers/frame-code.js';
import { makeFrameCodedHevcClip, type HevcClipOptions } from '../helpers/hevc-sources.js';

let h: Harness;
let media: string;

beforeAll(async () => {
  h = await startHarness({ worker: true });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
});

afterAll(async () => {
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

/** What the output itself says: first video frame time, frames, duration. */
async function measured(videoId: string): Promise<{ firstFrameSec: number; frameCount: number; durationSec: number }> {
  const file = path.join(media, `${videoId}.out`);
  await writeFile(file, await download(h, videoId));
  const json = await probeJson(file);
  const stream = json.streams.find((s: { codec_type: string }) => s.codec_type === 'video');
  return { firstFrameSec: Number(stream.start_time ?? 0), frameCount: await countFrames(file), durationSec: Number(json.format.duration) };
}

async function expectResultMatchesOutput(job: Record<string, any>, method: string): Promise<void> {
  expect(job.status).toBe('completed');
  expect(job.method).toBe(method);
  expect(job.result).toMatchObject({ method });
  const out = await measured(job.outputVideoId);
  expect(job.result.frameCount).toBe(out.frameCount);
  expect(job.result.firstFrameSec).toBeCloseTo(out.firstFrameSec, 3);
  expect(job.result.durationSec).toBeCloseTo(out.durationSec, 3);
  expect(job.errorCode).toBeNull();
  expect(job.retryable).toBeNull();
}

describe('achieved cuts', () => {
  it('when an accurate trim of an H.264 mp4 is smart-cut, then its result gives the frames it made and only the head and tail as re-encoded', async () => {
    const v = await upload(h, await makeClip(media, { durationSec: 6, fps: 25, gop: 50, audio: true }));
    const job = await trim(h, v.id, { start: 0.52, end: 4.6 });
    await run(h, [job.id]);
    const done = await waitForJob(h, job.id, undefined, 60_000);
    await expectResultMatchesOutput(done, 'smart-cut');
    // 0.52 → 4.6 at 25 fps: 102 frames.
    expect(done.result.frameCount).toBe(102);
    expect(done.result.reencodedSec).toBeGreaterThan(0);
    expect(done.result.reencodedSec).toBeLessThan(done.result.durationSec);
    expect(done.result.fallbackReason).toBeNull();
    // The stored row is what the API answers, list included.
    const listed = (await h.api.get('/api/jobs')).body.items.find((j: { id: string }) => j.id === job.id);
    expect(listed.result).toEqual(done.result);
  });

  it('when an accurate trim of a codec that cannot be smart-cut is re-encoded, then its result says why and that all of it was re-encoded', async () => {
    const v = await upload(h, await makeClip(media, { durationSec: 3, fps: 25, codec: 'mpeg4', container: 'mkv', audio: false }));
    const job = await trim(h, v.id, { start: 0.4, end: 2 });
    await run(h, [job.id]);
    const done = await waitForJob(h, job.id, undefined, 60_000);
    await expectResultMatchesOutput(done, 'reencode');
    expect(done.result.frameCount).toBe(40);
    expect(done.result.reencodedSec).toBeCloseTo(done.result.durationSec, 3);
    expect(done.result.fallbackReason).toMatch(/mpeg4 is not H\.264/);
  });

  it('when a copy trim and a copy concat complete, then their results say nothing was re-encoded', async () => {
    const clip = await makeClip(media, { durationSec: 2, fps: 25, gop: 25, audio: false, container: 'mkv' });
    const a = await upload(h, clip);
    const b = await upload(h, clip);
    const cut = await trim(h, a.id, { start: 0, end: 1, mode: 'copy' });
    const joined = await concat(h, [a.id, b.id]);
    await run(h, [cut.id, joined.id]);
    const cutDone = await waitForJob(h, cut.id, undefined, 60_000);
    const joinedDone = await waitForJob(h, joined.id, undefined, 60_000);
    // Matroska records no frame count: the worker counts packets.
    await expectResultMatchesOutput(cutDone, 'stream-copy');
    await expectResultMatchesOutput(joinedDone, 'concat-copy');
    expect(joinedDone.result.frameCount).toBe(100);
    for (const r of [cutDone.result, joinedDone.result]) expect(r).toMatchObject({ reencodedSec: 0, fallbackReason: null });
  });
});

describe('error codes of failed jobs', () => {
  it('when an input file is gone from storage, then the job fails at once as input_missing, and its dependant as dependency_failed, neither retryable', async () => {
    const v = await upload(h, await makeClip(media, { durationSec: 2, fps: 25, audio: false }));
    const videosDir = path.join(h.storageDir, 'videos');
    for (const f of await readdir(videosDir)) if (f.startsWith(v.id)) await rm(path.join(videosDir, f));
    const first = await trim(h, v.id, { start: 0, end: 1 });
    const second = await concat(h, [first.outputVideoId, v.id]);
    await run(h);
    const failed = await waitForJob(h, first.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, errorCode: 'input_missing', retryable: false, result: null });
    expect(failed.error).toMatch(/gone from storage/);
    const dependant = await waitForJob(h, second.id);
    expect(dependant).toMatchObject({ status: 'failed', errorCode: 'dependency_failed', retryable: false });
  });

  it('when a failed job is retried, then its error and code are cleared with the new run', async () => {
    const v = await upload(h, await makeClip(media, { durationSec: 2, fps: 25, audio: false }));
    const videosDir = path.join(h.storageDir, 'videos');
    for (const f of await readdir(videosDir)) if (f.startsWith(v.id)) await rm(path.join(videosDir, f));
    const job = await trim(h, v.id, { start: 0, end: 1 });
    await run(h, [job.id]);
    await waitForJob(h, job.id);
    const retried = await h.api.post(`/api/jobs/${job.id}/retry`);
    expect(retried.status, JSON.stringify(retried.body)).toBeLessThan(300);
    expect(retried.body).toMatchObject({ error: null, errorCode: null, retryable: null });
    expect(await waitForJob(h, job.id)).toMatchObject({ status: 'failed', errorCode: 'input_missing' });
  });
});

// HEVC (issue 14): the dry run plans a smart cut, the worker makes one (frame-exact, HEVC kept), and a
// 4:2:2 source falls back with the reason, both ways.
const CLIP: HevcClipOptions = { name: 'hevc', durationSec: 6, fps: 25, gop: 50, openGop: true, container: 'mp4', tag: 'hev1', pixFmt: 'yuv420p', audio: true };

/** The plan a dry run gives the job (no job moves). */
async function plannedFor(jobId: string): Promise<Record<string, any>> {
  const res = await h.api.post('/api/jobs/run').send({ jobIds: [jobId], dryRun: true });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.body.plans as { jobId: string }[]).find((p) => p.jobId === jobId)!;
}

describe('accurate trim of HEVC', () => {
  it('when the source is open-GOP HEVC in mp4, then the plan and the job are a smart cut with the same re-encoded seconds, exact to the frame', async () => {
    const v = await upload(h, await makeFrameCodedHevcClip(media, CLIP));
    const job = await trim(h, v.id, { start: 1.3, end: 4.6, mode: 'accurate' });
    const plan = await plannedFor(job.id);
    expect(plan).toMatchObject({ method: 'smart-cut' });
    expect(plan.reason).toMatch(/^HEVC in mp4/);

    await run(h, [job.id]);
    const done = await waitForJob(h, job.id, undefined, 60_000);
    expect(done.status).toBe('completed');
    expect(done.result).toMatchObject({ method: 'smart-cut', fallbackReason: null, frameCount: 82 });
    expect(done.result.reencodedSec).toBeCloseTo(plan.reencodedSec, 3);

    const file = path.join(media, `${done.outputVideoId}.mp4`);
    await writeFile(file, await download(h, done.outputVideoId));
    // 1.3 → 4.6 at 25 fps: frames 33 … 114.
    const want = Array.from({ length: 82 }, (_, i) => 33 + i);
    expect(firstDifference(await readFrameNumbers(file), want)).toBe(-1);
    const video = (await probeJson(file)).streams.find((s: { codec_type: string }) => s.codec_type === 'video');
    expect(video).toMatchObject({ codec_name: 'hevc', codec_tag_string: 'hev1', profile: 'Main' });
  });

  it('when the source is 4:2:2 HEVC, then the plan and the job fall back to a full re-encode and say why', async () => {
    const v = await upload(h, await makeFrameCodedHevcClip(media, { ...CLIP, name: 'hevc-422', pixFmt: 'yuv422p' }));
    const job = await trim(h, v.id, { start: 1.3, end: 4.6, mode: 'accurate' });
    const reason = 'HEVC profile Rext cannot be matched (only Main and Main 10)';
    expect(await plannedFor(job.id)).toMatchObject({ method: 'reencode', reason: `${reason}: full re-encode` });

    await run(h, [job.id]);
    const done = await waitForJob(h, job.id, undefined, 60_000);
    expect(done.status).toBe('completed');
    expect(done.result).toMatchObject({ method: 'reencode', fallbackReason: reason });
  });
});
