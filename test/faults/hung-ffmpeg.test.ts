import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, trim, upload, waitForJob } from '../helpers/api-flow.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';
import { startWorker } from '../../workers/worker.js';

let h: Harness;
let media: string;
let hungFfmpeg: string;
let endlessFfmpeg: string;

beforeAll(async () => {
  h = await startHarness({ worker: false, env: { JOB_ATTEMPTS: '1' } });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
  // An "ffmpeg" that starts and then never makes progress.
  hungFfmpeg = path.join(media, 'hung-ffmpeg');
  await writeFile(hungFfmpeg, '#!/bin/sh\nexec sleep 300\n');
  await chmod(hungFfmpeg, 0o755);
  // An "ffmpeg" that keeps reporting progress (so it never stalls) but never finishes.
  endlessFfmpeg = path.join(media, 'endless-ffmpeg');
  await writeFile(endlessFfmpeg, '#!/bin/sh\ni=0\nwhile true; do i=$((i+1000)); echo "out_time_us=$i"; echo "progress=continue"; sleep 0.05; done\n');
  await chmod(endlessFfmpeg, 0o755);
});

afterAll(async () => {
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

describe('a hung FFmpeg', () => {
  it('when FFmpeg reports no progress for JOB_STALL_TIMEOUT_MS, then the watchdog stops it and the job fails saying so, and can be retried', async () => {
    const v = await upload(h, await makeClip(media, { durationSec: 2, width: 160, height: 120, fps: 25, audio: true }));
    const job = await trim(h, v.id, { start: 0, end: 1 });
    const worker = startWorker({ ...h.config, ffmpegPath: hungFfmpeg, jobStallTimeoutMs: 1_500 }, h.infra, h.redisUrl, h.logger, { concurrency: 1, heartbeatMs: 250 });
    try {
      await run(h);
      const failed = await waitForJob(h, job.id, ['failed', 'completed'], 20_000);
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/no progress/);
      expect(failed.error).toMatch(/JOB_STALL_TIMEOUT_MS/);
      expect(failed).toMatchObject({ errorCode: 'stalled', retryable: true });
      expect(await readdir(path.join(h.storageDir, 'tmp'))).toEqual([]);
    } finally {
      await worker.close(1_000);
    }
    const healthy = startWorker(h.config, h.infra, h.redisUrl, h.logger, { concurrency: 1, heartbeatMs: 250 });
    try {
      const retried = await h.api.post(`/api/jobs/${job.id}/retry`);
      expect(retried.status).toBe(202);
      expect((await waitForJob(h, job.id)).status).toBe('completed');
    } finally {
      await healthy.close(1_000);
    }
  });
});

describe('a job that runs too long', () => {
  it('when FFmpeg keeps going past the time limit for its expected duration, then the job is stopped and fails saying so', async () => {
    const v = await upload(h, await makeClip(media, { durationSec: 2, width: 160, height: 120, fps: 25, audio: true }));
    const job = await trim(h, v.id, { start: 0, end: 1 });
    const worker = startWorker({ ...h.config, ffmpegPath: endlessFfmpeg }, h.infra, h.redisUrl, h.logger, {
      concurrency: 1,
      heartbeatMs: 250,
      timeLimitFactor: 2,
      timeLimitFloorMs: 500,
    });
    try {
      await run(h);
      const failed = await waitForJob(h, job.id, ['failed', 'completed'], 20_000);
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/longer than its time limit of 2 s/);
      expect(failed).toMatchObject({ errorCode: 'time_limit', retryable: true });
      expect(await readdir(path.join(h.storageDir, 'tmp'))).toEqual([]);
    } finally {
      await worker.close(1_000);
    }
  });
});
