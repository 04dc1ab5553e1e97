import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, trim, upload, waitForJob } from '../helpers/api-flow.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';
import { PrivateRedis } from '../helpers/private-redis.js';
import { startWorker } from '../../workers/worker.js';

let redis: PrivateRedis;
let h: Harness;
let media: string;
let clip: string;

beforeAll(async () => {
  redis = await PrivateRedis.start();
  h = await startHarness({ worker: false, redisUrl: redis.url });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
  clip = await makeClip(media, { durationSec: 2, width: 160, height: 120, fps: 25, audio: true });
});

afterAll(async () => {
  await redis?.up().catch(() => {});
  await h?.close();
  await redis?.down();
  await rm(media, { recursive: true, force: true });
});

const timed = async <T>(fn: () => Promise<T>) => {
  const t = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - t };
};

describe('Redis outages', () => {
  it('when Redis is down, then reads answer, run answers 503 fast and queues nothing, readyz names Redis; it recovers by itself', async () => {
    const v = await upload(h, clip);
    const job = await trim(h, v.id, { start: 0, end: 1 });
    await redis.down();

    const runRes = await timed(() => h.api.post('/api/jobs/run'));
    expect(runRes.value.status).toBe(503);
    expect(runRes.value.body.detail).toMatch(/Redis/);
    expect(runRes.ms).toBeLessThan(2_000);
    expect((await h.api.get(`/api/jobs/${job.id}`)).body.status).toBe('pending');

    const retryRes = await timed(() => h.api.post(`/api/jobs/${job.id}/retry`));
    expect(retryRes.value.status).toBe(409);

    const list = await timed(() => h.api.get('/api/jobs'));
    expect(list.value.status).toBe(200);
    expect((await h.api.get(`/api/videos/${v.id}`)).status).toBe(200);

    const ready = await timed(() => h.api.get('/readyz'));
    expect(ready.value.status).toBe(503);
    expect(ready.value.body.detail).toMatch(/redis/);
    expect(ready.ms).toBeLessThan(2_500);

    await redis.up();
    let status = 0;
    for (let i = 0; i < 50 && status !== 202; i++) {
      status = (await h.api.post('/api/jobs/run')).status;
      if (status !== 202) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(202);
    expect((await h.api.get('/readyz')).status).toBe(200);
    const worker = startWorker(h.config, h.infra, h.redisUrl, h.logger, { concurrency: 1, heartbeatMs: 250 });
    try {
      expect((await waitForJob(h, job.id)).status).toBe('completed');
    } finally {
      await worker.close(1_000);
    }
  });

  it('when Redis comes back empty, then the reconciler puts the queued and running jobs back and each completes once', async () => {
    const v = await upload(h, clip);
    const jobs = [];
    for (let i = 0; i < 4; i++) jobs.push(await trim(h, v.id, { start: 0, end: 1 + i * 0.25 }));
    expect((await run(h)).length).toBe(4);

    // Restarted without persistence: every queued job is gone from Redis, PostgreSQL still says queued.
    await redis.down();
    await redis.up();
    const backAt = Date.now();
    const worker = startWorker(h.config, h.infra, h.redisUrl, h.logger, { concurrency: 1, heartbeatMs: 250, reconcileIntervalMs: 1_000 });
    try {
      const first = await waitForJob(h, jobs[0]!.id, ['in_progress', 'completed'], 20_000);
      const resumedMs = Date.now() - backAt;
      console.log(`Redis back empty → first lost job running again after ${resumedMs} ms`);
      expect(first.status).not.toBe('queued');
      for (const j of jobs) {
        const done = await waitForJob(h, j.id, undefined, 30_000);
        expect(done).toMatchObject({ status: 'completed', attempts: 1 });
      }
    } finally {
      await worker.close(1_000);
    }
  });

  it('when Redis is flushed while a worker runs, then the periodic reconcile recovers the queued jobs', async () => {
    const worker = startWorker(h.config, h.infra, h.redisUrl, h.logger, { concurrency: 1, heartbeatMs: 250, reconcileIntervalMs: 1_000 });
    try {
      // MPEG-4 Part 2 cannot be smart-cut: the trim re-encodes, so the job runs for seconds.
      const long = await upload(h, await makeClip(media, { name: 'long', durationSec: 12, width: 640, height: 360, fps: 30, audio: true, codec: 'mpeg4' }));
      const busy = await trim(h, long.id, { start: 0, end: 11 });
      const v = await upload(h, clip);
      const behind = [await trim(h, v.id, { start: 0, end: 1 }), await trim(h, v.id, { start: 0.5, end: 1.5 })];
      await run(h);
      await waitForJob(h, busy.id, ['in_progress'], 20_000);
      const { Redis } = await import('ioredis');
      const admin = new Redis(redis.url);
      await admin.flushall();
      admin.disconnect();
      for (const j of [busy, ...behind]) expect((await waitForJob(h, j.id, undefined, 60_000)).status).toBe('completed');
    } finally {
      await worker.close(1_000);
    }
  });
});
