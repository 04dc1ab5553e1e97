import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, run, trim, upload, waitForJob } from '../helpers/api-flow.js';
import { TEST_DATABASE_URL, startHarness, type Harness } from '../helpers/harness.js';
import { countFrames, makeClip } from '../helpers/media.js';
import { envSharing, isAlive, startService, startWorkerProcess, type ServiceProcess } from '../helpers/processes.js';

// The API runs in-process; workers run as real separate processes on the same PostgreSQL, Redis and storage.
let h: Harness;
let media: string;
const workers: ServiceProcess[] = [];

const startWorker = async (extra: Record<string, string> = {}) => {
  const w = await startWorkerProcess({ ...envSharing(h, TEST_DATABASE_URL), ...extra });
  workers.push(w);
  return w;
};

beforeAll(async () => {
  h = await startHarness({ worker: false });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop('SIGKILL')));
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

describe('API and workers apart', () => {
  it('when two worker processes share the queue, then both take jobs and each job runs exactly once', async () => {
    const [w1, w2] = await Promise.all([startWorker(), startWorker()]);
    const src = await makeClip(media, { name: 'shared', durationSec: 3, width: 320, height: 240, fps: 25, audio: true });
    const v = await upload(h, src);
    const jobs = [];
    for (let i = 0; i < 12; i++) jobs.push(await trim(h, v.id, { start: (i % 4) * 0.5, end: (i % 4) * 0.5 + 1 }));
    expect((await run(h)).length).toBe(12);
    for (const j of jobs) {
      const done = await waitForJob(h, j.id, undefined, 60_000);
      expect(done).toMatchObject({ status: 'completed', attempts: 1 });
      const out = (await h.api.get(`/api/videos/${j.outputVideoId}`)).body;
      expect(Math.abs(out.durationSec - 1)).toBeLessThan(0.05);
    }
    const handledBy = (w: ServiceProcess) => w.logs.filter((l) => l.msg === 'job handled' && l.outcome === 'completed').map((l) => l.jobId as string);
    const ran1 = handledBy(w1!);
    const ran2 = handledBy(w2!);
    expect(ran1.length).toBeGreaterThan(0);
    expect(ran2.length).toBeGreaterThan(0);
    expect([...ran1, ...ran2].sort()).toEqual(jobs.map((j) => j.id).sort());
    await Promise.all([w1!.stop(), w2!.stop()]);
  });

  it('when a worker gets SIGTERM during a job, then the job still completes (in the grace time or on another worker)', async () => {
    const w1 = await startWorker({ SHUTDOWN_GRACE_MS: '300' });
    // MPEG-4 Part 2 cannot be smart-cut: the trim re-encodes, so the job runs for seconds.
    const src = await makeClip(media, { name: 'long', durationSec: 20, width: 960, height: 540, fps: 30, audio: true, codec: 'mpeg4' });
    const v = await upload(h, src);
    const job = await trim(h, v.id, { start: 0, end: 19 });
    const follower = await concat(h, [job.outputVideoId, v.id]);
    await run(h);
    await waitForJob(h, job.id, ['in_progress'], 30_000);
    const code = await w1.stop('SIGTERM');
    expect(code).toBe(0);
    const handedBack = (await h.api.get(`/api/jobs/${job.id}`)).body;
    expect(['in_progress', 'completed']).toContain(handedBack.status);

    await startWorker();
    const done = await waitForJob(h, job.id, undefined, 90_000);
    expect(done.status).toBe('completed');
    expect(done.attempts).toBe(2);
    const out = (await h.api.get(`/api/videos/${job.outputVideoId}`)).body;
    expect(Math.abs(out.durationSec - 19)).toBeLessThan(0.05);
    expect((await waitForJob(h, follower.id, undefined, 90_000)).status).toBe('completed');
  });
});

describe('one machine, no configuration', () => {
  it('when started without DATABASE_URL and REDIS_URL, then it runs on embedded backends, stops cleanly and keeps its data', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'vj-data-'));
    const env = { DATA_DIR: dataDir, STORAGE_DIR: path.join(dataDir, 'storage'), PORT: '0', WORKER_CONCURRENCY: '1' };
    try {
      const first = startService('workers/main.ts', env);
      const ready = await first.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('ready at'), 60_000);
      expect(ready.database).toMatch(/^embedded PostgreSQL \d+ in /);
      expect(ready.redis).toMatch(/embedded redis-server/);
      const base = /http:\/\/localhost:(\d+)\//.exec(ready.msg as string)![0].replace(/\/$/, '');

      const clip = await makeClip(media, { name: 'embedded', durationSec: 2, width: 160, height: 120, fps: 25, audio: true });
      const form = new FormData();
      form.append('file', new Blob([await readFile(clip)]), 'embedded.mp4');
      const uploaded = await (await fetch(`${base}/api/videos`, { method: 'POST', body: form })).json();
      expect(uploaded.status).toBe('ready');
      const job = await (
        await fetch(`${base}/api/videos/${uploaded.id}/trim`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ start: 0.5, end: 1.5 }) })
      ).json();
      const runRes = await fetch(`${base}/api/jobs/run`, { method: 'POST' });
      expect(runRes.status).toBe(202);
      let status = '';
      for (let i = 0; i < 200 && status !== 'completed'; i++) {
        status = (await (await fetch(`${base}/api/jobs/${job.id}`)).json()).status;
        if (status === 'failed') throw new Error('job failed');
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe('completed');
      const file = path.join(media, 'embedded-out.mp4');
      const body = Buffer.from(await (await fetch(`${base}/api/videos/${job.outputVideoId}/download`)).arrayBuffer());
      await writeFile(file, body);
      expect(await countFrames(file)).toBe(25);

      const redisPid = Number((await readFile(path.join(dataDir, 'redis', 'redis.pid'), 'utf8')).trim());
      expect(await first.stop('SIGTERM')).toBe(0);
      expect(isAlive(redisPid)).toBe(false);

      const second = startService('workers/main.ts', env);
      const again = await second.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('ready at'), 60_000);
      const base2 = /http:\/\/localhost:(\d+)\//.exec(again.msg as string)![0].replace(/\/$/, '');
      const kept = await fetch(`${base2}/api/videos/${uploaded.id}`);
      expect(kept.status).toBe(200);
      expect((await kept.json()).id).toBe(uploaded.id);
      expect(await second.stop('SIGTERM')).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
