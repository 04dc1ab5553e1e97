import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, run, trim, upload, waitForJob } from '../helpers/api-flow.js';
import { TEST_DATABASE_URL, startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';
import { until } from '../helpers/poll.js';
import { envSharing, startWorkerProcess, type ServiceProcess } from '../helpers/processes.js';

let h: Harness;
let media: string;
let other: postgres.Sql;
const procs: ServiceProcess[] = [];

beforeAll(async () => {
  h = await startHarness({ worker: false });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
  // A second client of the same schema, to hold rows at the racing moment.
  other = postgres(TEST_DATABASE_URL, { max: 2, onnotice: () => {}, connection: { search_path: h.config.dbSchema } });
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await other?.end({ timeout: 5 });
  await h?.close();
  await rm(media, { recursive: true, force: true });
});


/** Resolves once some backend of the test database waits for a lock (the run is blocked on our row). */
const someoneWaitsForALock = () =>
  until('a transaction waits for a lock', 10_000, async () => {
    const [row] = await other<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE wait_event_type = 'Lock' AND datname = current_database() AND application_name = 'video-jobs'`;
    return row!.n > 0 ? true : undefined;
  });

describe('transactions that race', () => {
  it('when a run and another transaction lock the same jobs in opposite orders, then the deadlock is retried and the run answers 202, never 500', async () => {
    const v = await upload(h, await makeClip(media, { durationSec: 2, width: 64, height: 48, fps: 10, audio: false }));
    const [first, second] = [await trim(h, v.id, { start: 0, end: 0.5 }), await trim(h, v.id, { start: 0, end: 0.6 })].sort((a, b) => (a.id < b.id ? -1 : 1));
    // The run locks in id order: `first`, then `second`. This transaction takes `second`, waits for
    // the run to hold `first`, then asks for `first`: a deadlock, which PostgreSQL breaks by aborting one.
    let held!: () => void;
    const holding = new Promise<void>((resolve) => (held = resolve));
    const rival = other
      .begin(async (tx) => {
        await tx`SELECT id FROM jobs WHERE id = ${second!.id} FOR UPDATE`;
        held();
        await someoneWaitsForALock();
        await tx`SELECT id FROM jobs WHERE id = ${first!.id} FOR UPDATE`;
      })
      .then(
        () => 'committed',
        (err: { code?: string }) => err.code,
      );
    await holding;
    const res = await h.api.post('/api/jobs/run').send({ jobIds: [first!.id, second!.id] });
    const rivalOutcome = await rival;
    expect(res.status).toBe(202);
    expect(res.body.queued.sort()).toEqual([first!.id, second!.id].sort());
    // Either side may be the victim; the run's own victim would have been retried.
    expect(['committed', '40P01']).toContain(rivalOutcome);
    for (const j of [first!, second!]) expect((await h.api.get(`/api/jobs/${j.id}`)).body.status).toBe('queued');
  });

  it('when a dependency fails while a retry re-queues its dependant, then the dependant fails too instead of waiting forever', async () => {
    const v = await upload(h, await makeClip(media, { durationSec: 2, width: 64, height: 48, fps: 10, audio: false }));
    const t = await trim(h, v.id, { start: 0, end: 1 });
    const c = await concat(h, [t.outputVideoId, v.id]);
    // As a first run leaves them: T failed, and C failed with it; then T was retried and is running.
    await h.infra.sql`UPDATE jobs SET status = 'failed', error = 'first run', finished_at = now() WHERE id = ANY(${[t.id, c.id]}::uuid[])`;
    await h.infra.sql`UPDATE jobs SET status = 'in_progress', attempts = 1, lease_until = now() + interval '1 minute' WHERE id = ${t.id}`;

    // T's second run fails in a transaction that has not committed when C is retried.
    let commit!: () => void;
    const committed = new Promise<void>((resolve) => (commit = resolve));
    const failing = other.begin(async (tx) => {
      await tx`UPDATE jobs SET status = 'failed', error = 'second run', finished_at = now() WHERE id = ${t.id}`;
      await committed;
    });
    const retry = h.api.post(`/api/jobs/${c.id}/retry`);
    const retried = retry.then((r) => r);
    await someoneWaitsForALock();
    commit();
    await failing;
    const res = await retried;
    expect(res.status).toBe(202);
    const final = await waitForJob(h, c.id, ['failed'], 10_000);
    expect(final.error).toBe(`Dependency job ${t.id} is failed.`);
    expect((await h.api.get(`/api/videos/${c.outputVideoId}`)).body.status).toBe('failed');
  });
});

describe('a job cancelled just as its worker dies', () => {
  it('when the worker is killed and the job cancelled at once, then no temp file of it is left', async () => {
    const src = await makeClip(media, { name: 'long', durationSec: 20, width: 640, height: 360, fps: 30, audio: true, codec: 'mpeg4' });
    const v = await upload(h, src);
    const job = await trim(h, v.id, { start: 0, end: 19 });
    const worker = await startWorkerProcess(envSharing(h, TEST_DATABASE_URL));
    procs.push(worker);
    await run(h, [job.id]);
    await waitForJob(h, job.id, ['in_progress'], 30_000);
    const tmp = path.join(h.storageDir, 'tmp');
    await until('the job writes its temp output', 20_000, async () => ((await readdir(tmp)).some((f) => f.startsWith(`job-${job.id}.`)) ? true : undefined));

    await worker.stop('SIGKILL');
    expect((await h.api.post(`/api/jobs/${job.id}/cancel`)).status).toBe(200);

    expect((await readdir(tmp)).filter((f) => f.startsWith(`job-${job.id}.`))).toEqual([]);
    expect((await h.api.get(`/api/jobs/${job.id}`)).body.status).toBe('cancelled');
    expect((await readdir(path.join(h.storageDir, 'videos'))).filter((f) => f.startsWith(job.outputVideoId))).toEqual([]);
  });
});
