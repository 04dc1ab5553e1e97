import path from 'node:path';
import os from 'node:os';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download, run, trim, upload, waitForJob } from '../helpers/api-flow.js';
import { checkAccurateTrim, makeFrameCodedClip, readFrameNumbers } from '../helpers/frame-code.js';
import { TEST_DATABASE_URL, startHarness, type Harness } from '../helpers/harness.js';
import { continueProcesses, psRows, stopTree } from '../helpers/process-tree.js';
import { until } from '../helpers/poll.js';
import { envSharing, startWorkerProcess, type ServiceProcess } from '../helpers/processes.js';

// Short, so that a paused execution loses its lease within seconds (the BullMQ lock of a worker
// process is 4 s already, and no variable sets it).
const LEASE_MS = '3000';
const FPS = 30;
const START = 1.5;
const END = 22.5;

let h: Harness;
let media: string;
const procs: ServiceProcess[] = [];
let paused: number[] = [];

interface Ffmpeg {
  pid: number;
  ppid: number;
  running: boolean;
  /** What follows `job-<id>.` in its temp output path: the execution's own token. */
  token: string;
}

/** The FFmpeg processes working on `jobId` in this test's storage, by the worker that spawned them. */
function ffmpegsOf(jobId: string): Ffmpeg[] {
  const marker = `job-${jobId}.`;
  return psRows()
    .filter((r) => path.basename(r.args.split(' ')[0]!) === 'ffmpeg' && r.args.includes(h.storageDir) && r.args.includes(marker) && !r.stat.startsWith('Z'))
    .map((r) => {
      const out = new RegExp(`${marker.replace(/[.-]/g, '\\$&')}(\\S*?)\\.out\\b`).exec(r.args);
      return { pid: r.pid, ppid: r.ppid, running: !r.stat.startsWith('T'), token: out?.[1] ?? '?' };
    });
}


beforeAll(async () => {
  h = await startHarness({ worker: false });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-double-'));
});

afterAll(async () => {
  continueProcesses(paused);
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

describe('a job whose worker is paused past its lease', () => {
  it('when another worker takes it over and the first one resumes, then it completes once, exact, and the loser changes nothing', async () => {
    const env = { ...envSharing(h, TEST_DATABASE_URL), JOB_LEASE_MS: LEASE_MS };
    // MPEG-4 Part 2 cannot be smart-cut: the accurate trim re-encodes all of it, so it runs for seconds.
    const src = await makeFrameCodedClip(media, { name: 'long', durationSec: 24, fps: FPS, width: 960, height: 540, codec: 'mpeg4' });
    const v = await upload(h, src);
    const job = await trim(h, v.id, { start: START, end: END, mode: 'accurate' });

    const a = await startWorkerProcess(env);
    procs.push(a);
    await run(h);
    await waitForJob(h, job.id, ['in_progress'], 30_000);
    const aExec = await until('worker A runs FFmpeg for the job', 30_000, () => ffmpegsOf(job.id).find((f) => f.ppid === a.child.pid && f.running));
    const b = await startWorkerProcess(env);
    procs.push(b);

    // A and its FFmpeg stop; its lease lapses and B takes the job over.
    paused = stopTree(a.child.pid!);
    const pausedAt = Date.now();
    expect(paused).toContain(aExec.pid);
    const bExec = await until('worker B runs FFmpeg for the job', 90_000, () => ffmpegsOf(job.id).find((f) => f.ppid === b.child.pid && f.running));
    const takenOverMs = Date.now() - pausedAt;
    const taken = (await h.api.get(`/api/jobs/${job.id}`)).body;
    expect(taken.status).toBe('in_progress');
    expect(taken.attempts).toBeGreaterThanOrEqual(2);

    // A resumes while B runs: watch both FFmpegs and the row until the job has ended and A's are gone.
    const aBeforeResume = ffmpegsOf(job.id).filter((f) => f.ppid === a.child.pid);
    continueProcesses(paused);
    paused = [];
    const resumedAt = Date.now();
    let overlapMs = 0;
    let aGoneMs = -1;
    let last = resumedAt;
    const seen: { status: string; attempts: number; progress: number }[] = [];
    await until('the job ends and A has no FFmpeg left', 180_000, async () => {
      const now = Date.now();
      const fs = ffmpegsOf(job.id);
      const sampled = Date.now();
      const aRuns = fs.some((f) => f.ppid === a.child.pid && f.running);
      const bRuns = fs.some((f) => f.ppid === b.child.pid && f.running);
      if (aRuns && bRuns) overlapMs += now - last;
      last = now;
      // An upper bound: by the end of the first ps that no longer lists it.
      if (aGoneMs < 0 && !fs.some((f) => f.ppid === a.child.pid)) aGoneMs = sampled - resumedAt;
      const row = (await h.api.get(`/api/jobs/${job.id}`)).body;
      seen.push({ status: row.status, attempts: row.attempts, progress: row.progress });
      return aGoneMs >= 0 && ['completed', 'failed', 'cancelled'].includes(row.status) ? true : undefined;
    });
    console.log(
      `double execution: A paused with its FFmpeg; B took the job over after ${takenOverMs} ms (lease ${LEASE_MS} ms); ` +
        `A resumed and its FFmpeg was gone within ${aGoneMs} ms; A and B ran FFmpeg at once for ${overlapMs} ms ` +
        `(execution tokens A ${aExec.token}, B ${bExec.token}; A's FFmpeg just before the resume: ${aBeforeResume.map((f) => `${f.pid} ${f.running ? 'running' : 'stopped'}`).join(', ') || 'none'})`,
    );

    const aLines = a.logs.filter((l) => l.jobId === job.id || JSON.stringify(l).includes(job.id)).map((l) => `${l.msg}${l.outcome ? ` (${l.outcome})` : ''}${l.err ? `: ${String(l.err).slice(0, 120)}` : ''}`);
    console.log(`worker A logged about the job: ${aLines.join('; ') || 'nothing'}`);

    // Once: completed by the winner, and what A did after waking up changed nothing.
    const done = await waitForJob(h, job.id, undefined, 10_000);
    expect(done).toMatchObject({ status: 'completed', progress: 100 });
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.attempts).toBeGreaterThanOrEqual(seen[i - 1]!.attempts);
    expect(seen.findIndex((s) => s.status === 'completed')).toBeGreaterThanOrEqual(0);
    expect(seen.slice(seen.findIndex((s) => s.status === 'completed')).every((s) => s.status === 'completed')).toBe(true);
    const winnerAttempt = Number(bExec.token.split('.')[0]);
    expect(winnerAttempt).toBe(done.attempts);

    // The files: A's temps go, nothing is left in tmp/, videos/ holds exactly the ready videos' keys.
    const tmp = path.join(h.storageDir, 'tmp');
    await until('tmp/ is empty', 20_000, async () => ((await readdir(tmp)).length === 0 ? true : undefined));
    const rows = await h.infra.sql<{ id: string; status: string; storageKey: string | null }[]>`SELECT id, status, storage_key FROM videos`;
    const out = rows.find((r) => r.id === job.outputVideoId)!;
    expect(out.status).toBe('ready');
    expect(out.storageKey).toMatch(new RegExp(`^${job.outputVideoId}\\.${winnerAttempt}\\.`));
    const readyKeys = rows.filter((r) => r.status === 'ready').map((r) => r.storageKey).sort();
    expect((await readdir(path.join(h.storageDir, 'videos'))).sort()).toEqual(readyKeys);

    const completions = await h.infra.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM outbox WHERE subject_id = ${job.id} AND type = 'job.completed'`;
    expect(completions[0]!.n).toBe(1);
    const after = (await h.api.get(`/api/jobs/${job.id}`)).body;
    expect(after).toMatchObject({ status: 'completed', attempts: done.attempts, finishedAt: done.finishedAt, progress: 100 });

    // Whole, downloadable and exact: the frames of [1.5 s, 22.5 s) of the source, in order.
    const video = (await h.api.get(`/api/videos/${job.outputVideoId}`)).body;
    const bytes = await download(h, job.outputVideoId);
    expect(bytes.length).toBe(video.sizeBytes);
    const file = path.join(media, 'downloaded.mp4');
    await writeFile(file, bytes);
    const check = checkAccurateTrim(await readFrameNumbers(file), START, END, FPS);
    expect(check.exact, check.note).toBe(true);
  }, 360_000);
});
