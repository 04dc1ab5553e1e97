import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, run, upload, waitForJob } from '../helpers/api-flow.js';
import { startHarness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';

let media: string;

beforeAll(async () => {
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
});

afterAll(async () => {
  await rm(media, { recursive: true, force: true });
});

describe('a nearly full disk', () => {
  it('when an upload would leave less than MIN_FREE_BYTES free, then 507 and nothing is left behind', async () => {
    const h = await startHarness({ worker: false, env: { MIN_FREE_BYTES: String(2 ** 52) } });
    try {
      const clip = await makeClip(media, { durationSec: 1, width: 160, height: 120, fps: 25, audio: false });
      const res = await h.api.post('/api/videos').attach('file', clip);
      expect(res.status).toBe(507);
      expect(res.body.detail).toMatch(/MIN_FREE_BYTES/);
      expect(await readdir(path.join(h.storageDir, 'tmp'))).toEqual([]);
      expect(await readdir(path.join(h.storageDir, 'videos'))).toEqual([]);
      expect((await h.api.get('/api/videos')).body.total).toBe(0);
    } finally {
      await h.close();
    }
  });

  it('when a job hits ENOSPC, then it fails cleanly and its partial output is removed', async () => {
    // A 4 MB filesystem of its own; needs root to mount (CI runs as root).
    const small = path.join(media, 'small');
    await mkdir(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', small]);
    const h = await startHarness({ worker: true, storageDir: small, env: { JOB_ATTEMPTS: '1' } });
    try {
      // Noise does not compress: about 1 MB, so eight of them cannot fit.
      const clip = path.join(media, 'noisy.mp4');
      execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25:d=2,noise=alls=80:allf=t',
        '-f', 'lavfi', '-i', 'sine=d=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '14', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip]);
      const v = await upload(h, clip);
      expect(v.sizeBytes).toBeGreaterThan(700_000);
      const job = await concat(h, Array.from({ length: 8 }, () => v.id));
      await run(h);
      const done = await waitForJob(h, job.id, undefined, 30_000);
      expect(done.status).toBe('failed');
      expect(done.error).toMatch(/No space left|ENOSPC/i);
      expect(done).toMatchObject({ errorCode: 'disk_full', retryable: true });
      expect(await readdir(path.join(small, 'tmp'))).toEqual([]);
      expect((await h.api.get(`/api/videos/${job.outputVideoId}`)).body.status).toBe('failed');
      expect((await h.api.get('/healthz')).status).toBe(200);
    } finally {
      await h.close();
      execFileSync('umount', [small]);
    }
  });
});
