import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, run, trim, upload, waitForJob } from '../helpers/api-flow.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';
import { startWorker } from '../../workers/worker.js';

// No worker while planning: nothing may move. A worker starts only to check the plan came true.
let h: Harness;
let media: string;

beforeAll(async () => {
  h = await startHarness({ worker: false });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
});

afterAll(async () => {
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

const allJobs = async () => (await h.api.get('/api/jobs?limit=100')).body.items as Record<string, unknown>[];
const eventCount = async () => Number((await h.infra.sql`SELECT count(*)::int AS n FROM outbox`)[0]!.n);

describe('dry run', () => {
  it('when a run is dry, then it answers each job its method, reason, duration and re-encoded seconds, and changes nothing', async () => {
    const h264 = await upload(h, await makeClip(media, { durationSec: 6, fps: 25, gop: 50, audio: true }));
    const mpeg4 = await upload(h, await makeClip(media, { durationSec: 3, fps: 25, codec: 'mpeg4', container: 'mkv', audio: false }));
    const smart = await trim(h, h264.id, { start: 0.52, end: 4.6 });
    const full = await trim(h, mpeg4.id, { start: 0.4, end: 2 });
    const copy = await trim(h, h264.id, { start: 0, end: 2, mode: 'copy' });
    const joined = await concat(h, [h264.id, h264.id]);
    const later = await concat(h, [smart.outputVideoId, h264.id]);
    const jobsBefore = await allJobs();
    const eventsBefore = await eventCount();
    const queueBefore = await h.infra.queue.counts();

    const res = await h.api.post('/api/jobs/run').send({ dryRun: true });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.dryRun).toBe(true);
    const plans = new Map((res.body.plans as { jobId: string }[]).map((p) => [p.jobId, p as Record<string, any>]));
    expect([...plans.keys()].sort()).toEqual([smart.id, full.id, copy.id, joined.id, later.id].sort());

    expect(plans.get(smart.id)).toMatchObject({ type: 'trim', method: 'smart-cut' });
    expect(plans.get(smart.id)!.expectedDurationSec).toBeCloseTo(4.08, 2);
    expect(plans.get(smart.id)!.reencodedSec).toBeGreaterThan(0);
    expect(plans.get(smart.id)!.reencodedSec).toBeLessThan(4.08);
    expect(plans.get(full.id)).toMatchObject({ method: 'reencode', reason: 'codec mpeg4 is not H.264 or HEVC: full re-encode', expectedDurationSec: 1.6, reencodedSec: 1.6 });
    expect(plans.get(copy.id)).toMatchObject({ method: 'stream-copy', expectedDurationSec: 2, reencodedSec: 0 });
    expect(plans.get(joined.id)).toMatchObject({ type: 'concat', method: 'concat-copy', reencodedSec: 0 });
    expect(plans.get(joined.id)!.expectedDurationSec).toBeCloseTo(2 * h264.durationSec, 3);
    // Its input is the smart cut's output, which does not exist yet.
    expect(plans.get(later.id)).toMatchObject({ method: null, reencodedSec: null });
    expect(plans.get(later.id)!.reason).toContain(smart.id);
    // A job that waits for another comes after it.
    const order = (res.body.plans as { jobId: string }[]).map((p) => p.jobId);
    expect(order.indexOf(later.id)).toBeGreaterThan(order.indexOf(smart.id));

    // Nothing has finished here yet: no speed to estimate from.
    for (const p of plans.values()) expect(p.estimatedRunSec).toBeNull();

    expect(await allJobs()).toEqual(jobsBefore);
    expect(await eventCount()).toBe(eventsBefore);
    expect(await h.infra.queue.counts()).toEqual(queueBefore);

    // The plan comes true: run them for real and compare.
    await run(h);
    const worker = startWorker(h.config, h.infra, h.redisUrl, h.logger, { heartbeatMs: 250 });
    try {
      for (const id of [smart.id, full.id, copy.id, joined.id]) {
        const done = await waitForJob(h, id, undefined, 60_000);
        expect(done.status).toBe('completed');
        expect(done.method, id).toBe(plans.get(id)!.method);
        expect(done.result.reencodedSec).toBeCloseTo(plans.get(id)!.reencodedSec, 2);
      }
      expect((await waitForJob(h, later.id, undefined, 60_000)).status).toBe('completed');
    } finally {
      await worker.close();
    }
  });

  it('when jobs have finished here, then a dry run estimates the run time from their measured speed', async () => {
    // The jobs of the test above finished (a smart cut, a re-encode, copies).
    const v = await upload(h, await makeClip(media, { durationSec: 3, fps: 25, codec: 'mpeg4', container: 'mkv', audio: false }));
    const reencode = await trim(h, v.id, { start: 0, end: 2 });
    const copy = await trim(h, v.id, { start: 0, end: 2, mode: 'copy' });
    const res = await h.api.post('/api/jobs/run').send({ dryRun: true, jobIds: [reencode.id, copy.id] });
    expect(res.status).toBe(200);
    const [planned, copied] = res.body.plans as { method: string; estimatedRunSec: number | null }[];
    expect(planned).toMatchObject({ method: 'reencode' });
    expect(copied).toMatchObject({ method: 'stream-copy' });
    expect(planned!.estimatedRunSec).toBeGreaterThan(0);
    expect(copied!.estimatedRunSec).toBeGreaterThanOrEqual(0);
  });

  it('when a dry run names jobs, then only they and the pending jobs they depend on are planned; unknown or non-pending ones are refused as a run would', async () => {
    const v = await upload(h, await makeClip(media, { durationSec: 2, fps: 25, audio: false }));
    const first = await trim(h, v.id, { start: 0, end: 1.5 });
    const second = await trim(h, first.outputVideoId, { start: 0, end: 1 });
    await trim(h, v.id, { start: 0, end: 1 });
    const res = await h.api.post('/api/jobs/run').send({ dryRun: true, jobIds: [second.id] });
    expect(res.status).toBe(200);
    expect(res.body.plans.map((p: { jobId: string }) => p.jobId)).toEqual([first.id, second.id]);
    expect(res.body.plans[1]).toMatchObject({ method: null, expectedDurationSec: 1 });

    const unknown = await h.api.post('/api/jobs/run').send({ dryRun: true, jobIds: ['3f1b0e62-6f5f-4c1e-9d1a-0a0a0a0a0a0a'] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('job_not_found');
    await run(h, [first.id]);
    const notPending = await h.api.post('/api/jobs/run').send({ dryRun: true, jobIds: [first.id] });
    expect(notPending.status).toBe(409);
    expect(notPending.body.code).toBe('job_not_pending');
  });
});
