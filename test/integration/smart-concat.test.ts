import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, download, run, upload, waitForJob } from '../helpers/api-flow.js';
import { makeIntroAndMain } from '../helpers/concat-sources.js';
import { readFrameNumbers } from '../helpers/frame-code.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { decodeErrors, makeClip } from '../helpers/media.js';

let h: Harness;
let media: string;

beforeAll(async () => {
  h = await startHarness();
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-smart-concat-'));
});

afterAll(async () => {
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

describe('smart concat through the API', { timeout: 120_000 }, () => {
  it('when an intro of another size and frame rate is joined to a main, then the plan and the job say concat-smart and only the intro is re-encoded', async () => {
    const { intro, main } = await makeIntroAndMain(media);
    const [a, b] = [await upload(h, intro), await upload(h, main)];
    const job = await concat(h, [a.id, b.id]);

    const dry = await h.api.post('/api/jobs/run').send({ dryRun: true, jobIds: [job.id] });
    expect(dry.status, JSON.stringify(dry.body)).toBe(200);
    expect(dry.body.plans[0]).toMatchObject({ jobId: job.id, method: 'concat-smart', expectedDurationSec: 6, reencodedSec: 2 });
    expect(dry.body.plans[0].reason).toContain('input 0 is re-encoded to match input 1');

    await run(h, [job.id]);
    const done = await waitForJob(h, job.id, undefined, 90_000);
    expect(done.status, done.error).toBe('completed');
    expect(done.method).toBe('concat-smart');
    expect(done.result).toMatchObject({ method: 'concat-smart', reencodedInputs: [0], reencodedSec: 2, frameCount: 180, firstFrameSec: 0, fallbackReason: null });
    const out = (await h.api.get(`/api/videos/${job.outputVideoId}`)).body;
    expect(out).toMatchObject({ status: 'ready', width: 640, height: 360, fps: 30, videoCodec: 'h264', audioCodec: 'aac', container: 'mp4' });

    const file = path.join(media, 'joined.mp4');
    await writeFile(file, await download(h, job.outputVideoId));
    const frames = await readFrameNumbers(file);
    expect(frames.slice(60)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(await decodeErrors(file)).toBe('');
  });

  it('when no input can be matched by the encoder, then the concat re-encodes everything and says why', async () => {
    const clip = await makeClip(media, { name: 'mpeg4', durationSec: 1, fps: 25, codec: 'mpeg4', container: 'mkv', audio: false });
    const other = await makeClip(media, { name: 'mpeg4-small', durationSec: 1, fps: 25, width: 160, height: 120, codec: 'mpeg4', container: 'mkv', audio: false });
    const [a, b] = [await upload(h, clip), await upload(h, other)];
    const job = await concat(h, [a.id, b.id]);
    const dry = await h.api.post('/api/jobs/run').send({ dryRun: true, jobIds: [job.id] });
    expect(dry.body.plans[0]).toMatchObject({ method: 'concat-filter' });
    expect(dry.body.plans[0].reason).toContain('every input is re-encoded at 25/1 fps');
    await run(h, [job.id]);
    const done = await waitForJob(h, job.id, undefined, 60_000);
    expect(done.status, done.error).toBe('completed');
    expect(done.result).toMatchObject({ method: 'concat-filter', reencodedInputs: [0, 1], normalizedFrameRate: '25/1', vfrInputs: [], fallbackReason: 'no input can be matched by the encoder (input 0: codec mpeg4 is not H.264)' });
  });
});
