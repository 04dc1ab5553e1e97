import { UnrecoverableError, type Job as BullJob } from 'bullmq';
import type { Logger } from 'pino';
import type { Sql } from '../src/db/sql-client.js';
import { isTrimParams, type Job } from '../src/domain/job.js';
import type { JobQueue, QueuePayload } from '../src/queue/job-queue.js';
import { JobRepository } from '../src/repositories/job.repository.js';
import { VideoRepository } from '../src/repositories/video.repository.js';
import { toProbedMetadata } from '../src/services/media-metadata.js';
import type { Notifier } from '../src/services/notifier.js';
import type { FileStorage } from '../src/storage/file-storage.js';
import { extensionForContainer } from '../src/media/media-info.js';
import type { ProbeResult } from '../src/media/probe.js';
import { FfmpegError } from '../src/media/runner.js';
import { processors } from './processors/registry.js';

export interface JobRunnerDeps {
  sql: Sql;
  storage: FileStorage;
  queue: JobQueue;
  notify: Notifier;
  logger: Logger;
  ffmpegPath: string;
  ffprobePath: string;
  probe: (file: string) => Promise<ProbeResult>;
  /** How often a running job checks whether it was cancelled. */
  cancelPollMs?: number;
  /** A job whose FFmpeg reports no progress for this long is stopped (JOB_STALL_TIMEOUT_MS). */
  stallTimeoutMs?: number;
  /** A job may run this many times its expected output duration… */
  timeLimitFactor?: number;
  /** …and never less than this. */
  timeLimitFloorMs?: number;
}

type StopReason = { kind: 'cancelled' } | { kind: 'shutdown' } | { kind: 'stalled'; ms: number } | { kind: 'timeout'; ms: number };

function describeStop(reason: { kind: 'stalled' | 'timeout'; ms: number }): string {
  return reason.kind === 'stalled'
    ? `FFmpeg made no progress for ${Math.round(reason.ms / 1000)} s and was stopped (JOB_STALL_TIMEOUT_MS).`
    : `The job ran longer than its time limit of ${Math.round(reason.ms / 1000)} s and was stopped.`;
}

export type RunOutcome = 'completed' | 'skipped' | 'waiting' | 'cancelled' | 'failed';

const STDERR_IN_ERROR = 2_000;

/**
 * The life of one job in a worker: re-read the row, claim it with a guarded update, run its
 * processor into a temp file, rename the output into place, probe it, record the result, and hand
 * over the jobs that were waiting for it. The row is the truth: a job that is gone, cancelled or
 * already done is skipped, so a duplicate or late delivery is harmless.
 */
export class JobRunner {
  private readonly jobs: JobRepository;
  private readonly videos: VideoRepository;

  constructor(private readonly d: JobRunnerDeps) {
    this.jobs = new JobRepository(d.sql);
    this.videos = new VideoRepository(d.sql);
  }

  async run(bullJob: BullJob<QueuePayload>, workerSignal?: AbortSignal): Promise<RunOutcome> {
    const { jobId } = bullJob.data;
    const current = await this.jobs.findByIdSettled(jobId);
    if (!current || (current.status !== 'queued' && current.status !== 'in_progress')) return 'skipped';

    const blocker = await this.dependencyBlocker(current);
    if (blocker === 'waiting') return 'waiting';
    if (blocker) {
      await this.failWithDependants(current, blocker);
      return 'failed';
    }

    const job = await this.jobs.claim(jobId);
    if (!job) return 'skipped';
    const outputVideo = await this.videos.setStatus(job.outputVideoId, ['pending', 'processing'], 'processing');
    this.d.notify.jobs([job]);
    this.d.notify.videos([outputVideo]);

    const cancel = new AbortController();
    const stop = (reason: StopReason) => {
      if (!cancel.signal.aborted) cancel.abort(reason);
    };
    const onWorkerAbort = () => stop({ kind: 'shutdown' });
    workerSignal?.addEventListener('abort', onWorkerAbort, { once: true });
    const stallMs = this.d.stallTimeoutMs ?? 120_000;
    // Known once the inputs are loaded (execute reports the expected output duration).
    let timeLimitMs = Number.POSITIVE_INFINITY;
    const startedAt = Date.now();
    let lastRise = startedAt;
    const watcher = setInterval(() => {
      const now = Date.now();
      if (now - lastRise > stallMs) stop({ kind: 'stalled', ms: stallMs });
      else if (now - startedAt > timeLimitMs) stop({ kind: 'timeout', ms: timeLimitMs });
      this.jobs
        .findById(jobId)
        .then((row) => {
          if (!row || row.status !== 'in_progress') stop({ kind: 'cancelled' });
        })
        .catch(() => {});
    }, this.d.cancelPollMs ?? 1_000);

    await this.d.storage.discardJobTemps(job.id);
    const outputPath = this.d.storage.jobTempPath(job.id, 'out');
    const scratchPath = this.d.storage.jobTempPath(job.id, 'txt');
    try {
      return await this.execute(job, bullJob, { outputPath, scratchPath }, cancel, {
        onRise: () => (lastRise = Date.now()),
        onExpectedDuration: (sec) => (timeLimitMs = this.timeLimitFor(sec)),
      });
    } catch (err) {
      const reason = cancel.signal.reason as StopReason | undefined;
      if (cancel.signal.aborted && reason?.kind === 'cancelled') {
        const row = await this.jobs.findById(jobId).catch(() => undefined);
        if (!row || row.status === 'cancelled') return 'cancelled';
      }
      if (cancel.signal.aborted && reason?.kind === 'shutdown') throw err;
      if (cancel.signal.aborted && (reason?.kind === 'stalled' || reason?.kind === 'timeout')) {
        return await this.recordFailure(job, bullJob, new Error(describeStop(reason)));
      }
      return await this.recordFailure(job, bullJob, err);
    } finally {
      clearInterval(watcher);
      workerSignal?.removeEventListener('abort', onWorkerAbort);
      await this.d.storage.discardTemp(outputPath);
      await this.d.storage.discardTemp(scratchPath);
    }
  }

  /** Generous: a 1080p re-encode on two cores runs at about 3× real time; never less than 10 minutes. */
  private timeLimitFor(expectedSec: number): number {
    return Math.max(this.d.timeLimitFloorMs ?? 600_000, expectedSec * 1000 * (this.d.timeLimitFactor ?? 10));
  }

  private async execute(
    job: Job,
    bullJob: BullJob<QueuePayload>,
    { outputPath, scratchPath }: { outputPath: string; scratchPath: string },
    cancel: AbortController,
    watch: { onRise: () => void; onExpectedDuration: (sec: number) => void },
  ): Promise<RunOutcome> {
    const found = await this.videos.findByIds(job.inputVideoIds);
    const byId = new Map(found.map((v) => [v.id, v]));
    const inputs = job.inputVideoIds.map((id) => {
      const v = byId.get(id);
      if (!v || v.status !== 'ready' || !v.storageKey) throw new UnrecoverableError(`Input video ${id} is ${v ? v.status : 'deleted'}.`);
      return v;
    });
    watch.onExpectedDuration(
      isTrimParams(job.params) ? job.params.end - job.params.start : inputs.reduce((sum, v) => sum + (v.durationSec ?? 0), 0),
    );
    const onRise = watch.onRise;
    const write = this.progressWriter(job.id, bullJob, cancel);
    const onProgress = (percent: number) => {
      onRise();
      write(percent);
    };
    const result = await processors[job.type]({
      job,
      inputs,
      inputPaths: inputs.map((v) => this.d.storage.pathOf(v.storageKey!)),
      outputPath,
      scratchPath,
      ffmpegPath: this.d.ffmpegPath,
      ffprobePath: this.d.ffprobePath,
      signal: cancel.signal,
      onProgress,
    });

    const probed = await this.d.probe(outputPath);
    if (!probed.ok) throw new Error(`FFmpeg wrote an output that does not probe: ${probed.reason}`);
    const key = `${job.outputVideoId}.${extensionForContainer(result.container)}`;
    await this.d.storage.moveIntoPlace(outputPath, key);

    const done = await this.d.sql.begin(async (tx) => {
      const completed = await this.jobs.with(tx).complete(job.id, result.method);
      if (!completed) return undefined;
      const video = await this.videos.with(tx).markReady(job.outputVideoId, key, toProbedMetadata(probed.info));
      return { completed, video };
    });
    if (!done) {
      // Cancelled while the output was being finished: it must not be kept.
      await this.d.storage.remove(key).catch(() => {});
      return 'cancelled';
    }
    this.d.notify.jobs([done.completed]);
    this.d.notify.videos([done.video]);
    await this.releaseDependants(job.id);
    return 'completed';
  }

  /** Queued jobs that were waiting only for this one go to the queue now. */
  private async releaseDependants(jobId: string): Promise<void> {
    const runnable = await this.jobs.findRunnableDependants([jobId]);
    // If Redis refuses now, the reconciler hands them over later; the job itself is done.
    await this.d.queue.enqueue(runnable).catch((err: unknown) => this.d.logger.warn({ err, jobId }, 'could not hand over dependants'));
  }

  private progressWriter(jobId: string, bullJob: BullJob<QueuePayload>, cancel: AbortController) {
    let chain = Promise.resolve();
    return (percent: number) => {
      chain = chain.then(async () => {
        const row = await this.jobs.updateProgress(jobId, percent).catch(() => null);
        if (row === undefined) {
          if (!cancel.signal.aborted) cancel.abort({ kind: 'cancelled' } satisfies StopReason);
          return;
        }
        if (row) this.d.notify.jobs([row]);
        await bullJob.updateProgress(percent).catch(() => {});
      });
    };
  }

  /** 'waiting' while a dependency has not completed; a reason when one never will. */
  private async dependencyBlocker(job: Job): Promise<string | 'waiting' | undefined> {
    if (job.dependsOn.length === 0) return undefined;
    const deps = await this.jobs.findByIds(job.dependsOn);
    for (const id of job.dependsOn) {
      const d = deps.find((x) => x.id === id);
      if (!d) return `Dependency job ${id} no longer exists.`;
      if (d.status === 'failed' || d.status === 'cancelled') return `Dependency job ${id} is ${d.status}.`;
    }
    return deps.every((d) => d.status === 'completed') ? undefined : 'waiting';
  }

  private async recordFailure(job: Job, bullJob: BullJob<QueuePayload>, err: unknown): Promise<never> {
    const message = describeError(err);
    const maxAttempts = bullJob.opts.attempts ?? 1;
    const final = err instanceof UnrecoverableError || bullJob.attemptsMade + 1 >= maxAttempts;
    if (final) {
      await this.failWithDependants(job, message);
    } else {
      const row = await this.jobs.recordAttemptError(job.id, message).catch(() => undefined);
      this.d.notify.jobs([row]);
    }
    this.d.logger.warn({ jobId: job.id, final, err: message }, 'job attempt failed');
    throw err;
  }

  /** Fails the job and every queued job downstream of it (they can never get their input). */
  private async failWithDependants(job: Job, reason: string): Promise<void> {
    const { failed, videos } = await this.d.sql.begin(async (tx) => {
      const jobs = this.jobs.with(tx);
      const failed = await jobs.fail([job.id], reason);
      const downstream = (await jobs.findDependantsTransitive([job.id])).filter((j) => j.status === 'queued');
      failed.push(...(await jobs.fail(downstream.map((j) => j.id), `Dependency job ${job.id} failed.`)));
      const videos = await this.videos.with(tx).setStatusMany(failed.map((j) => j.outputVideoId), ['pending', 'processing'], 'failed');
      return { failed, videos };
    });
    this.d.notify.jobs(failed);
    this.d.notify.videos(videos);
  }
}

function describeError(err: unknown): string {
  if (err instanceof FfmpegError) {
    const tail = err.stderrTail.slice(-STDERR_IN_ERROR).trim();
    return `FFmpeg failed (exit ${err.exitCode ?? err.signal ?? 'unknown'})${tail ? `: ${tail}` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}
