import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { JobLifecycle, type Execution } from '../../../src/core/lifecycle.js';
import { DomainError } from '../../../src/domain/errors.js';
import type { JobErrorCode } from '../../../src/domain/job.js';
import type { Video } from '../../../src/domain/video.js';
import { insertReadyUpload, MemoryUnitOfWork } from '../../helpers/memory-stores.js';

const LEASE_MS = 5_000;
let uow: MemoryUnitOfWork;
let core: JobLifecycle;

beforeEach(() => {
  uow = new MemoryUnitOfWork();
  core = new JobLifecycle(uow, { maxAttempts: 3, leaseMs: LEASE_MS, runBatchSize: 2 });
});

const readyUpload = (durationSec = 10, fps = 25): Promise<Video> => insertReadyUpload(uow.read.videos, { durationSec, fps });

const trim = (videoId: string, start = 1, end = 2) => core.record('trim', [videoId], { start, end, mode: 'accurate' });
const job = async (id: string) => (await uow.read.jobs.findById(id))!;
const video = async (id: string) => (await uow.read.videos.findById(id))!;
const eventTypes = (subjectId?: string) => uow.events.filter((e) => !subjectId || e.subjectId === subjectId).map((e) => e.type);

async function claimed(jobId: string): Promise<Execution> {
  const result = await core.claim(jobId);
  if (result.kind !== 'claimed') throw new Error(`expected a claim, got ${result.kind}`);
  return result.execution;
}

const failure = (code: JobErrorCode, message: string) => ({ code, message });
const crash = (message: string) => failure('ffmpeg_failed', message);

const output = { method: 'reencode', storageKey: 'out.1.mp4', metadata: { sizeBytes: 10, durationSec: 1, width: 64, height: 48, fps: 25, videoCodec: 'h264', audioCodec: null, container: 'mp4', media: {} } };

async function refusal(p: Promise<unknown>): Promise<DomainError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(err)}`);
  return err;
}

describe('recording commands', () => {
  it('when a trim is recorded, then a pending job and its pending output exist and both are announced', async () => {
    const v = await readyUpload();
    const j = await trim(v.id);
    expect(j).toMatchObject({ status: 'pending', type: 'trim', inputVideoIds: [v.id], dependsOn: [] });
    expect(await video(j.outputVideoId)).toMatchObject({ status: 'pending', kind: 'trim', sourceJobId: j.id });
    expect(eventTypes()).toEqual(['video.created', 'job.created']);
  });

  it('when a trim range holds no frame, then it is a validation error and nothing is recorded', async () => {
    const v = await readyUpload(10, 25);
    const err = await refusal(core.record('trim', [v.id], { start: 1.01, end: 1.02, mode: 'accurate' }));
    expect(err.kind).toBe('validation');
    expect(err.message).toMatch(/holds no frame/);
    expect((await uow.read.jobs.list({ limit: 10, offset: 0 })).total).toBe(0);
    expect((await uow.read.videos.list({ limit: 10, offset: 0 })).total).toBe(1);
    expect(uow.events).toEqual([]);
  });

  it('when a range holds exactly one frame, then it is recorded', async () => {
    const v = await readyUpload(10, 25);
    expect((await core.record('trim', [v.id], { start: 1, end: 1.04, mode: 'accurate' })).status).toBe('pending');
  });

  it('when an input does not exist, then it is not found and nothing is recorded', async () => {
    const v = await readyUpload();
    const missing = randomUUID();
    const err = await refusal(core.record('concat', [v.id, missing], {}));
    expect(err.kind).toBe('not_found');
    expect(err.message).toContain(missing);
    expect(uow.events).toEqual([]);
  });

  it('when a command uses the output of another, then it depends on the job that produces it', async () => {
    const v = await readyUpload();
    const a = await trim(v.id);
    const c = await core.record('concat', [a.outputVideoId, v.id], {});
    expect(c.dependsOn).toEqual([a.id]);
  });
});

describe('running', () => {
  it('when everything pending is run in batches, then every job is queued once and only the free ones are handed to the queue', async () => {
    const v = await readyUpload();
    const trims = [await trim(v.id), await trim(v.id), await trim(v.id)];
    const c = await core.record('concat', trims.map((t) => t.outputVideoId), {});
    const queued = await core.run();
    expect(queued.map((j) => j.id).sort()).toEqual([...trims, c].map((j) => j.id).sort());
    expect(queued.at(-1)!.id).toBe(c.id);
    const runnable = uow.events.filter((e) => e.type === 'job.runnable').map((e) => e.subjectId);
    expect(runnable.sort()).toEqual(trims.map((t) => t.id).sort());
    expect(await core.run()).toEqual([]);
  });

  it('when a named job is not pending, then the run is refused and nothing changes', async () => {
    const v = await readyUpload();
    const a = await trim(v.id);
    await core.run([a.id]);
    const before = uow.events.length;
    expect((await refusal(core.run([a.id]))).kind).toBe('conflict');
    expect(uow.events.length).toBe(before);
  });

  it('when the last dependency completes, then the dependant becomes runnable', async () => {
    const v = await readyUpload();
    const a = await trim(v.id);
    const b = await trim(v.id);
    const c = await core.record('concat', [a.outputVideoId, b.outputVideoId], {});
    await core.run([c.id]);
    const runnableC = () => uow.events.filter((e) => e.type === 'job.runnable' && e.subjectId === c.id).length;
    expect(await core.complete(await claimed(a.id), output)).toBe(true);
    expect(runnableC()).toBe(0);
    expect(await core.complete(await claimed(b.id), { ...output, storageKey: 'b.1.mp4' })).toBe(true);
    expect(runnableC()).toBe(1);
    expect((await video(a.outputVideoId)).status).toBe('ready');
  });
});

describe('planning a run (dry run)', () => {
  it('when a dry run is asked for, then it lists the jobs a run would queue, dependencies first, and changes nothing', async () => {
    const v = await readyUpload();
    const a = await trim(v.id);
    const c = await core.record('concat', [a.outputVideoId, v.id], {});
    const other = await trim(v.id, 3, 4);
    const eventsBefore = uow.events.length;
    const all = await core.wouldRun();
    expect(all.map((p) => p.job.id).sort()).toEqual([a.id, c.id, other.id].sort());
    expect(all.findIndex((p) => p.job.id === c.id)).toBeGreaterThan(all.findIndex((p) => p.job.id === a.id));
    expect(all.every((p) => p.blockedBy === null)).toBe(true);
    expect((await core.wouldRun([c.id])).map((p) => p.job.id)).toEqual([a.id, c.id]);
    expect(uow.events.length).toBe(eventsBefore);
    for (const j of [a, c, other]) expect((await job(j.id)).status).toBe('pending');
  });

  it('when a named job is unknown or not pending, then the dry run is refused as the run would be', async () => {
    const v = await readyUpload();
    const a = await trim(v.id);
    await core.run([a.id]);
    expect((await refusal(core.wouldRun([a.id]))).code).toBe('job_not_pending');
    expect((await refusal(core.wouldRun([randomUUID()]))).code).toBe('job_not_found');
  });

  it('when a pending job depends on a failed one, then the plan says the run would fail it', async () => {
    const v = await readyUpload();
    const a = await trim(v.id);
    const c = await core.record('concat', [a.outputVideoId, v.id], {});
    await core.run([a.id]);
    await core.fail(await claimed(a.id), failure('input_invalid', 'bad'));
    expect(await core.wouldRun([c.id])).toEqual([{ job: await job(c.id), blockedBy: `Dependency job ${a.id} is failed.` }]);
  });
});

describe('executions are fenced', () => {
  it('when a lease is live, then a second delivery is told to come back when it ends', async () => {
    const v = await readyUpload();
    const a = await trim(v.id);
    await core.run([a.id]);
    const first = await claimed(a.id);
    expect(first.token).toBe(1);
    const again = await core.claim(a.id);
    expect(again.kind).toBe('busy');
    expect(again.kind === 'busy' && again.until.getTime()).toBe(uow.clock.nowMs + LEASE_MS);
  });

  it('when the lease lapses and another execution takes over, then the stale one can change nothing', async () => {
    const v = await readyUpload();
    const a = await trim(v.id);
    await core.run([a.id]);
    const stale = await claimed(a.id);
    uow.clock.advance(LEASE_MS + 1);
    const fresh = await claimed(a.id);
    expect(fresh.token).toBe(2);
    const eventsBefore = uow.events.length;

    expect(await core.heartbeat(stale)).toBe(false);
    expect(await core.progress(stale, 50)).toBe(false);
    expect(await core.complete(stale, output)).toBe(false);
    expect(await core.fail(stale, crash('boom'))).toBe('stale');
    expect(uow.events.length).toBe(eventsBefore);
    expect(await job(a.id)).toMatchObject({ status: 'in_progress', attempts: 2, progress: 0 });
    expect((await video(a.outputVideoId)).storageKey).toBeNull();

    expect(await core.complete(fresh, { ...output, storageKey: 'winner.2.mp4' })).toBe(true);
    expect(await video(a.outputVideoId)).toMatchObject({ status: 'ready', storageKey: 'winner.2.mp4' });
  });

  it('when a job is handed back at a shutdown, then the next delivery claims it at once', async () => {
    const v = await readyUpload();
    const a = await trim(v.id);
    await core.run([a.id]);
    await core.release(await claimed(a.id));
    uow.clock.advance(1);
    expect((await claimed(a.id)).token).toBe(2);
  });

  it('when a running job is cancelled, then its heartbeat says stop and its dependants are cancelled', async () => {
    const v = await readyUpload();
    const a = await trim(v.id);
    const c = await core.record('concat', [a.outputVideoId, v.id], {});
    await core.run();
    const running = await claimed(a.id);
    await core.cancel(a.id);
    expect(await core.heartbeat(running)).toBe(false);
    expect((await job(c.id)).status).toBe('cancelled');
    expect((await video(a.outputVideoId)).status).toBe('failed');
    expect((await video(c.outputVideoId)).status).toBe('failed');
    expect((await refusal(core.cancel(a.id))).kind).toBe('conflict');
  });
});

describe('failures', () => {
  it('when an attempt fails with an input error, then the job fails at once, with its queued dependants', async () => {
    const v = await readyUpload();
    const a = await trim(v.id);
    const c = await core.record('concat', [a.outputVideoId, v.id], {});
    await core.run();
    expect(await core.fail(await claimed(a.id), failure('input_invalid', 'no frame in range'))).toBe('failed');
    expect(await job(a.id)).toMatchObject({ status: 'failed', attempts: 1, error: 'no frame in range', errorCode: 'input_invalid' });
    expect(await job(c.id)).toMatchObject({ status: 'failed', error: `Dependency job ${a.id} failed.`, errorCode: 'dependency_failed' });
    expect((await video(c.outputVideoId)).status).toBe('failed');
  });

  it('when attempts fail for a crash, then the queue retries until the run has used its attempts', async () => {
    const v = await readyUpload();
    const a = await trim(v.id);
    await core.run([a.id]);
    expect(await core.fail(await claimed(a.id), crash('crash 1'))).toBe('retrying');
    expect(await job(a.id)).toMatchObject({ status: 'in_progress', error: 'crash 1', errorCode: 'ffmpeg_failed' });
    uow.clock.advance(1);
    expect(await core.fail(await claimed(a.id), crash('crash 2'))).toBe('retrying');
    uow.clock.advance(1);
    expect(await core.fail(await claimed(a.id), crash('crash 3'))).toBe('failed');
    expect(await job(a.id)).toMatchObject({ status: 'failed', attempts: 3, error: 'crash 3', errorCode: 'ffmpeg_failed' });
  });

  it('when a failed job is retried, then it and its failed dependencies run again with a fresh attempt budget', async () => {
    const v = await readyUpload();
    const a = await trim(v.id);
    const c = await core.record('concat', [a.outputVideoId, v.id], {});
    await core.run();
    await core.fail(await claimed(a.id), failure('input_invalid', 'bad'));
    const retried = await core.retry(c.id);
    expect(retried.status).toBe('queued');
    expect((await job(a.id)).status).toBe('queued');
    expect((await video(a.outputVideoId)).status).toBe('pending');
    expect(uow.events.filter((e) => e.type === 'job.runnable').map((e) => e.subjectId)).toContain(a.id);
    const again = await claimed(a.id);
    expect(again.token).toBe(2);
    expect(await core.fail(again, crash('crash'))).toBe('retrying');
    expect((await refusal(core.retry(a.id))).kind).toBe('conflict');
  });

  it('when a claimed job can never work on its inputs, then the claim fails it at once', async () => {
    const v = await readyUpload(10, 25);
    const a = await trim(v.id, 1, 2);
    await core.run([a.id]);
    // The input went away under the job (the API refuses that, a hand-edited database does not).
    await uow.read.videos.delete(v.id);
    const result = await core.claim(a.id);
    expect(result).toEqual({ kind: 'failed', reason: `Input video ${v.id} is deleted.`, ended: true });
    expect(await job(a.id)).toMatchObject({ status: 'failed', attempts: 1, errorCode: 'input_missing' });
    expect((await video(a.outputVideoId)).status).toBe('failed');
  });

  it('when a queued job waits for a cancelled dependency, then the reconciler repair fails it', async () => {
    const v = await readyUpload();
    const a = await trim(v.id);
    const c = await core.record('concat', [a.outputVideoId, v.id], {});
    await core.run();
    // A dependant that slipped past the cancel's cascade (queued after it), as a race would leave it.
    await uow.read.jobs.cancel([a.id]);
    expect((await job(c.id)).status).toBe('queued');
    expect(await core.failBlocked(10)).toBe(1);
    expect(await job(c.id)).toMatchObject({ status: 'failed', error: `Dependency job ${a.id} is cancelled.`, errorCode: 'dependency_failed' });
  });

  it.each(['stalled', 'time_limit', 'disk_full', 'output_unreadable', 'internal_error'] as const)(
    'when an attempt fails with %s, then it is retried, and the last attempt fails the job with that code',
    async (code) => {
      const v = await readyUpload();
      const a = await trim(v.id);
      await core.run([a.id]);
      expect(await core.fail(await claimed(a.id), failure(code, 'first'))).toBe('retrying');
      uow.clock.advance(1);
      await core.fail(await claimed(a.id), failure(code, 'second'));
      uow.clock.advance(1);
      expect(await core.fail(await claimed(a.id), failure(code, 'third'))).toBe('failed');
      expect(await job(a.id)).toMatchObject({ status: 'failed', attempts: 3, error: 'third', errorCode: code });
    },
  );

  it.each(['input_invalid', 'input_missing', 'dependency_failed'] as const)('when an attempt fails with %s, then the job fails at once', async (code) => {
    const v = await readyUpload();
    const a = await trim(v.id);
    await core.run([a.id]);
    expect(await core.fail(await claimed(a.id), failure(code, 'never'))).toBe('failed');
    expect(await job(a.id)).toMatchObject({ status: 'failed', attempts: 1, errorCode: code });
  });

  it('when a claimed job\'s params no longer fit its input, then the claim fails it as input_invalid', async () => {
    const v = await readyUpload(10, 25);
    const a = await trim(v.id, 1, 2);
    await core.run([a.id]);
    // A hand-edited row: a range past the input's end.
    uow.patchJob(a.id, { params: { start: 20, end: 30, mode: 'accurate' } });
    const result = await core.claim(a.id);
    expect(result.kind).toBe('failed');
    expect(await job(a.id)).toMatchObject({ status: 'failed', errorCode: 'input_invalid' });
  });

  it('when a job is queued behind a failed dependency, then it fails at once as dependency_failed', async () => {
    const v = await readyUpload();
    const a = await trim(v.id);
    const c = await core.record('concat', [a.outputVideoId, v.id], {});
    await core.run([a.id]);
    await core.fail(await claimed(a.id), failure('input_invalid', 'bad'));
    expect((await job(c.id)).status).toBe('pending');
    await core.run([c.id]);
    expect(await job(c.id)).toMatchObject({ status: 'failed', errorCode: 'dependency_failed', error: `Dependency job ${a.id} is failed.` });
  });

  it('when a failed job is retried, then its error and code are cleared', async () => {
    const v = await readyUpload();
    const a = await trim(v.id);
    await core.run([a.id]);
    await core.fail(await claimed(a.id), failure('input_invalid', 'bad'));
    expect(await core.retry(a.id)).toMatchObject({ status: 'queued', error: null, errorCode: null });
  });
});

describe('events', () => {
  it('when a job goes through its life, then each change has one event with a rising per-job sequence number', async () => {
    const v = await readyUpload();
    const a = await trim(v.id);
    await core.run([a.id]);
    const e = await claimed(a.id);
    await core.progress(e, 40);
    await core.complete(e, output);
    const mine = uow.events.filter((x) => x.subjectId === a.id);
    expect(mine.map((x) => x.type)).toEqual(['job.created', 'job.queued', 'job.runnable', 'job.started', 'job.progress', 'job.completed']);
    const seqs = mine.filter((x) => x.type !== 'job.runnable').map((x) => x.seq);
    expect(seqs).toEqual([...seqs].sort((p, q) => p - q));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(eventTypes(a.outputVideoId)).toEqual(['video.created', 'video.processing', 'video.ready']);
  });

  it('when a unit of work fails half-way, then none of its changes or events remain', async () => {
    const v = await readyUpload();
    const a = await trim(v.id);
    const before = uow.events.length;
    await expect(
      uow.run(async (s) => {
        await s.jobs.markQueued([a.id]);
        await s.outbox.append([{ type: 'job.queued', subject: 'job', subjectId: a.id, seq: 2, payload: {}, dispatch: false }]);
        throw new Error('crash');
      }),
    ).rejects.toThrow('crash');
    expect((await job(a.id)).status).toBe('pending');
    expect(uow.events.length).toBe(before);
  });
});
