import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, download, run, trim, upload, waitForJob } from '../helpers/api-flow.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { countFrames, frameColourAt, makeClip, makeColourStepClip, probeJson } from '../helpers/media.js';

let h: Harness;
let media: string;
const COLOURS = ['red', 'green', 'blue', 'white', 'red', 'green'];
const RGB: Record<string, [number, number, number]> = { red: [255, 0, 0], green: [0, 128, 0], blue: [0, 0, 255], white: [255, 255, 255] };

function expectColour(actual: { r: number; g: number; b: number }, name: string) {
  const [r, g, b] = RGB[name]!;
  const distance = Math.abs(actual.r - r) + Math.abs(actual.g - g) + Math.abs(actual.b - b);
  expect(distance, `expected ${name}, got ${JSON.stringify(actual)}`).toBeLessThan(90);
}

beforeAll(async () => {
  h = await startHarness({ worker: true });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
});

afterAll(async () => {
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

async function saveDownload(videoId: string, name: string): Promise<string> {
  const file = path.join(media, name);
  await writeFile(file, await download(h, videoId));
  return file;
}

describe('accurate trim', () => {
  it('when trimmed between keyframes, then the output starts on the frame at start and lasts end - start within one frame', async () => {
    // Colour changes every second at 25 fps; keyframes every 2 s, so start=3 is not on a keyframe.
    const src = await makeColourStepClip(media, { colours: COLOURS, secondsEach: 1, fps: 25, gop: 50, audio: true });
    const v = await upload(h, src);
    const job = await trim(h, v.id, { start: 3, end: 5 });
    expect(await run(h)).toContain(job.id);
    const done = await waitForJob(h, job.id);
    expect(done).toMatchObject({ status: 'completed', progress: 100, attempts: 1, error: null });
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).not.toBeNull();

    const out = (await h.api.get(`/api/videos/${job.outputVideoId}`)).body;
    expect(out).toMatchObject({ status: 'ready', kind: 'trim', videoCodec: 'h264', audioCodec: 'aac', container: 'mp4', fps: 25 });
    expect(out.durationSec).toBeGreaterThan(2 - 0.05);
    expect(out.durationSec).toBeLessThan(2 + 0.05);

    const file = await saveDownload(job.outputVideoId, 'trim.mp4');
    expectColour(await frameColourAt(file, { first: true }), COLOURS[3]!);
    expectColour(await frameColourAt(file, { last: true }), COLOURS[4]!);
    expect(Math.abs((await countFrames(file)) - 50)).toBeLessThanOrEqual(1);
  });

  it('when trimmed in copy mode, then the output is a stream copy in the source container', async () => {
    const src = await makeClip(media, { name: 'copy-src', durationSec: 4, width: 160, height: 120, fps: 25, audio: true, gop: 25 });
    const v = await upload(h, src);
    const job = await trim(h, v.id, { start: 1, end: 3, mode: 'copy' });
    await run(h, [job.id]);
    const done = await waitForJob(h, job.id);
    expect(done.status).toBe('completed');
    expect(done.method).toBe('stream-copy');
    const out = (await h.api.get(`/api/videos/${job.outputVideoId}`)).body;
    expect(out.container).toBe('mp4');
    expect(out.durationSec).toBeGreaterThan(1.9);
  });
});

describe('concat', () => {
  it('when inputs differ in size, codec and audio, then the others are re-encoded to match the first input (smart concat)', async () => {
    const a = await upload(h, await makeClip(media, { name: 'a', durationSec: 1, width: 320, height: 240, fps: 25, audio: true }));
    const b = await upload(h, await makeClip(media, { name: 'b', durationSec: 1, width: 640, height: 360, fps: 30, audio: true, codec: 'vp9', container: 'webm' }));
    const c = await upload(h, await makeClip(media, { name: 'c', durationSec: 1, width: 160, height: 160, fps: 25, audio: false }));
    const job = await concat(h, [a.id, b.id, c.id]);
    await run(h, [job.id]);
    const done = await waitForJob(h, job.id);
    expect(done.status).toBe('completed');
    // a and c hold a second each; the earlier, a, is the target, and is copied as it is.
    expect(done.method).toBe('concat-smart');
    expect(done.result.reencodedInputs).toEqual([1, 2]);
    const out = (await h.api.get(`/api/videos/${job.outputVideoId}`)).body;
    expect(out).toMatchObject({ width: 320, height: 240, fps: 25, videoCodec: 'h264', audioCodec: 'aac' });
    expect(Math.abs(out.durationSec - 3)).toBeLessThan(0.15);
    const file = await saveDownload(job.outputVideoId, 'concat.mp4');
    const probe = await probeJson(file);
    const audio = probe.streams.find((s: { codec_type: string }) => s.codec_type === 'audio');
    // a's audio: 48 kHz mono.
    expect(Number(audio.sample_rate)).toBe(48000);
    expect(audio.channels).toBe(1);
    const errors = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(errors).toBe('');
  });

  it('when inputs are compatible, then the streams are copied', async () => {
    const src = await makeClip(media, { name: 'same', durationSec: 1, width: 160, height: 120, fps: 25, audio: true });
    const a = await upload(h, src);
    const b = await upload(h, src);
    const job = await concat(h, [a.id, b.id, a.id]);
    await run(h, [job.id]);
    const done = await waitForJob(h, job.id);
    expect(done.status).toBe('completed');
    expect(done.method).toBe('concat-copy');
    const out = (await h.api.get(`/api/videos/${job.outputVideoId}`)).body;
    expect(Math.abs(out.durationSec - 3)).toBeLessThan(0.15);
  });
});

describe('dependencies', () => {
  it('when a concat uses two trims that have not run, then it waits for them and uses their outputs', async () => {
    const src = await makeColourStepClip(media, { colours: ['red', 'green', 'blue', 'white'], secondsEach: 1, fps: 25, gop: 25 });
    const v = await upload(h, src);
    const t1 = await trim(h, v.id, { start: 2, end: 3 });
    const t2 = await trim(h, v.id, { start: 0, end: 1 });
    const c = await concat(h, [t1.outputVideoId, t2.outputVideoId]);
    expect(c.dependsOn.sort()).toEqual([t1.id, t2.id].sort());
    const queued = await run(h, [c.id]);
    expect(queued.indexOf(c.id)).toBe(2);
    const done = await waitForJob(h, c.id);
    expect(done.status).toBe('completed');
    const t1done = await waitForJob(h, t1.id);
    expect(Date.parse(done.startedAt)).toBeGreaterThanOrEqual(Date.parse(t1done.finishedAt));
    const file = await saveDownload(c.outputVideoId, 'deps.mp4');
    expectColour(await frameColourAt(file, { first: true }), 'blue');
    expectColour(await frameColourAt(file, { last: true }), 'red');
  });

  it('when a dependency fails, then the job that waits for it fails too, and the failed job can be retried', async () => {
    const v = await upload(h, await makeClip(media, { name: 'dep', durationSec: 2, width: 160, height: 120, fps: 25, audio: true }));
    const short = await trim(h, v.id, { start: 0, end: 1 });
    // Accepted now (its input is not produced yet); impossible once the input is 1 s long.
    const tooLong = await trim(h, short.outputVideoId, { start: 0, end: 1.8 });
    const c = await concat(h, [tooLong.outputVideoId, v.id]);
    await run(h);
    const failed = await waitForJob(h, tooLong.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/beyond the duration/);
    const cFailed = await waitForJob(h, c.id);
    expect(cFailed.status).toBe('failed');
    expect(cFailed.error).toContain(tooLong.id);
    expect((await h.api.get(`/api/videos/${c.outputVideoId}`)).body.status).toBe('failed');
    expect((await waitForJob(h, short.id)).status).toBe('completed');

    const retried = await h.api.post(`/api/jobs/${tooLong.id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body.status).toBe('queued');
    expect((await waitForJob(h, tooLong.id)).status).toBe('failed');
  });
});

describe('cancel', () => {
  it('when a running job is cancelled, then FFmpeg stops, the partial output is removed and dependants are cancelled', async () => {
    // MPEG-4 Part 2 cannot be smart-cut: the trim re-encodes, so the job runs for seconds.
    const src = await makeClip(media, { name: 'long', durationSec: 60, width: 1280, height: 720, fps: 30, audio: true, codec: 'mpeg4' });
    const v = await upload(h, src);
    const job = await trim(h, v.id, { start: 0, end: 59 });
    const dependant = await concat(h, [job.outputVideoId, v.id]);
    await run(h);
    await waitForJob(h, job.id, ['in_progress']);
    const res = await h.api.post(`/api/jobs/${job.id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('cancelled');
    expect((await h.api.get(`/api/jobs/${dependant.id}`)).body.status).toBe('cancelled');

    const deadline = Date.now() + 5_000;
    let leftovers: string[] = [];
    let ffmpegs = '';
    while (Date.now() < deadline) {
      leftovers = await readdir(path.join(h.storageDir, 'tmp'));
      ffmpegs = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(h.storageDir) && l.startsWith('ffmpeg')).join('\n');
      if (leftovers.length === 0 && ffmpegs === '') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(ffmpegs).toBe('');
    expect(leftovers).toEqual([]);
    const after = (await h.api.get(`/api/jobs/${job.id}`)).body;
    expect(after.status).toBe('cancelled');
    expect((await h.api.get(`/api/videos/${job.outputVideoId}`)).body.status).toBe('failed');
    expect((await h.api.post(`/api/jobs/${job.id}/cancel`)).status).toBe(409);
  });
});
