import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, trim, upload, waitForJob } from '../helpers/api-flow.js';
import { TEST_DATABASE_URL, startHarness, type Harness } from '../helpers/harness.js';
import { countFrames, makeClip } from '../helpers/media.js';
import { envSharing, startService, startWorkerProcess, type ServiceProcess } from '../helpers/processes.js';
import { until } from '../helpers/poll.js';

let h: Harness;
let media: string;
const procs: ServiceProcess[] = [];

const startWorker = async () => {
  const w = await startWorkerProcess(envSharing(h, TEST_DATABASE_URL));
  procs.push(w);
  return w;
};

const ffmpegsOf = (storageDir: string) =>
  execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(storageDir) && l.includes('ffmpeg') && !l.trim().startsWith('Z'));

beforeAll(async () => {
  h = await startHarness({ worker: false });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

describe('a worker killed with SIGKILL in the middle of FFmpeg', () => {
  it('when it dies, then its FFmpeg dies too and another worker runs the job again within 10 s to a correct output', async () => {
    // MPEG-4 Part 2 cannot be smart-cut: the trim re-encodes, so the job runs for seconds.
    const src = await makeClip(media, { name: 'crash', durationSec: 20, width: 960, height: 540, fps: 30, audio: true, codec: 'mpeg4' });
    const v = await upload(h, src);
    const job = await trim(h, v.id, { start: 0, end: 19 });
    const queuedBehind = await trim(h, v.id, { start: 1, end: 2 });
    const victim = await startWorker();
    await run(h);
    const running = await waitForJob(h, job.id, ['in_progress'], 30_000);
    expect(running.attempts).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(ffmpegsOf(h.storageDir).length).toBeGreaterThan(0);

    const survivor = await startWorker();
    const killedAt = Date.now();
    await victim.stop('SIGKILL');

    let orphanGoneMs = -1;
    let rerunMs = -1;
    while (Date.now() - killedAt < 20_000 && (orphanGoneMs < 0 || rerunMs < 0)) {
      if (orphanGoneMs < 0 && ffmpegsOf(h.storageDir).every((l) => !l.includes(`job-${job.id}`)) && rerunMs < 0) orphanGoneMs = Date.now() - killedAt;
      const j = (await h.api.get(`/api/jobs/${job.id}`)).body;
      if (rerunMs < 0 && j.attempts >= 2) rerunMs = Date.now() - killedAt;
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`worker SIGKILL → orphan FFmpeg gone after ${orphanGoneMs} ms, job running again after ${rerunMs} ms`);
    expect(orphanGoneMs).toBeGreaterThanOrEqual(0);
    expect(rerunMs).toBeGreaterThan(0);
    expect(rerunMs).toBeLessThan(10_000);

    const done = await waitForJob(h, job.id, undefined, 90_000);
    expect(done).toMatchObject({ status: 'completed', attempts: 2, progress: 100 });
    const out = (await h.api.get(`/api/videos/${job.outputVideoId}`)).body;
    expect(Math.abs(out.durationSec - 19)).toBeLessThan(0.05);
    expect((await waitForJob(h, queuedBehind.id, undefined, 30_000)).status).toBe('completed');
    expect(await readdir(path.join(h.storageDir, 'tmp'))).toEqual([]);
    const file = path.join(h.storageDir, 'videos', (await readdir(path.join(h.storageDir, 'videos'))).find((f) => f.startsWith(job.outputVideoId))!);
    expect(await countFrames(file)).toBe(19 * 30);
    await survivor.stop();
  });
});

describe('the whole service restarted', () => {
  it('when it is killed with jobs queued and running, then after a restart they all finish', async () => {
    const env = { ...envSharing(h, TEST_DATABASE_URL), PORT: '0' };
    const first = startService('workers/main.ts', env);
    procs.push(first);
    await first.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('ready at'));
    // MPEG-4 Part 2 cannot be smart-cut: the trim re-encodes, so the job runs for seconds.
    const src = await makeClip(media, { name: 'restart', durationSec: 10, width: 960, height: 540, fps: 30, audio: true, codec: 'mpeg4' });
    const v = await upload(h, src);
    // Each long enough that, with one worker slot, the other two are still queued while one runs,
    // whichever the queue hands over first.
    const jobs = [await trim(h, v.id, { start: 0, end: 9 }), await trim(h, v.id, { start: 0.5, end: 8 }), await trim(h, v.id, { start: 1, end: 8 })];
    await run(h);
    await until('a job running', 30_000, async () => {
      const states = await Promise.all(jobs.map(async (j) => (await h.api.get(`/api/jobs/${j.id}`)).body.status));
      return states.includes('in_progress') ? states : undefined;
    });
    await first.stop('SIGKILL');
    const states = await Promise.all(jobs.map(async (j) => (await h.api.get(`/api/jobs/${j.id}`)).body.status));
    expect(states).toContain('in_progress');
    expect(states).toContain('queued');

    const second = startService('workers/main.ts', env);
    procs.push(second);
    await second.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('ready at'));
    for (const j of jobs) expect((await waitForJob(h, j.id, undefined, 60_000)).status).toBe('completed');
    await second.stop();
  });
});
