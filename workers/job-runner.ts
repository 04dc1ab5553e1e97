import type { Logger } from 'pino';
import { isInputError } from '../src/core/errors.js';
import type { JobErrorCode, JobFailure, JobResult } from '../src/domain/job.js';
import type { Execution, JobLifecycle } from '../src/core/lifecycle.js';
import type { StagedInput } from '../src/core/ports.js';
import { extensionForContainer } from '../src/media/media-info.js';
import { describeCopiedOutput } from '../src/media/copied-output.js';
import type { OutputProbe } from '../src/media/output-probe.js';
import { FfmpegError } from '../src/media/runner.js';
import { toProbedMetadata } from '../src/services/media-metadata.js';
import type { Storage } from '../src/storage/open-storage.js';
import { processors } from './processors/registry.js';

export interface JobRunnerDeps {
  lifecycle: JobLifecycle;
  storage: Pick<Storage, 'blobs' | 'scratch' | 'inputs'>;
  logger: Logger;
  ffmpegPath: string;
  ffprobePath: string;
  /** The output's metadata and frames, from as few ffprobe runs as the container allows. */
  probe: (file: string, signal?: AbortSignal) => Promise<OutputProbe>;
  /** How often a running job renews its lease, which is also when it learns it was cancelled or taken over. */
  heartbeatMs?: number;
  /** A job whose FFmpeg reports no progress for this long is stopped (JOB_STALL_TIMEOUT_MS). */
  stallTimeoutMs?: number;
  /** A job may run this many times its expected output duration… */
  timeLimitFactor?: number;
  /** …and never less than this. */
  timeLimitFloorMs?: number;
}

type StopReason = { kind: 'lost' } | { kind: 'shutdown' } | { kind: 'stalled'; ms: number } | { kind: 'timeout'; ms: number };

function describeStop(reason: { kind: 'stalled' | 'timeout'; ms: number }): string {
  return reason.kind === 'stalled'
    ? `FFmpeg made no progress for ${Math.round(reason.ms / 1000)} s and was stopped (JOB_STALL_TIMEOUT_MS).`
    : `The job ran longer than its time limit of ${Math.round(reason.ms / 1000)} s and was stopped.`;
}

export type RunOutcome =
  /** `parked`: its tenant is at its cap; the job left the queue and comes back when a slot frees. */
  | { kind: 'completed' | 'skipped' | 'lost' | 'failed' | 'parked' }
  /** Another execution owns the job until `until`: deliver it again then. */
  | { kind: 'busy'; until: Date }
  /** The attempt failed and the queue should try again; `error` is what to throw. */
  | { kind: 'retry'; error: unknown }
  /** Stopped by the worker's shutdown; the job is handed back. */
  | { kind: 'shutdown'; error: unknown };

const STDERR_IN_ERROR = 2_000;

/** A failure the runner recognised itself, with the code it is recorded under. */
class CodedError extends Error {
  constructor(
    readonly code: JobErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CodedError';
  }
}

/**
 * One delivery of a job in a worker: claim it through the lifecycle, run its processor into temp
 * files named after the attempt, publish the output under a key of its own, and let the lifecycle
 * complete or fail it. Whatever this execution does after it lost the job (cancelled, or taken
 * over after its lease lapsed) changes nothing: every write is fenced by its attempt.
 */
export class JobRunner {
  constructor(private readonly d: JobRunnerDeps) {}

  async run(jobId: string, workerSignal?: AbortSignal): Promise<RunOutcome> {
    const claim = await this.d.lifecycle.claim(jobId);
    if (claim.kind === 'busy') return { kind: 'busy', until: claim.until };
    if (claim.kind === 'parked') return { kind: 'parked' };
    if (claim.kind !== 'claimed') {
      // An ended job's files go with it, even those of an execution that died before it could clean up.
      if (claim.ended) await this.d.storage.scratch.discardJobTemps(jobId);
      return { kind: claim.kind };
    }
    const execution = claim.execution;

    const stop = new AbortController();
    const halt = (reason: StopReason) => {
      if (!stop.signal.aborted) stop.abort(reason);
    };
    const onWorkerAbort = () => halt({ kind: 'shutdown' });
    workerSignal?.addEventListener('abort', onWorkerAbort, { once: true });
    const stallMs = this.d.stallTimeoutMs ?? 120_000;
    const timeLimitMs = this.timeLimitFor(execution.expectedDurationSec);
    const startedAt = Date.now();
    let lastRise = startedAt;
    const heartbeat = setInterval(() => {
      const now = Date.now();
      if (now - lastRise > stallMs) halt({ kind: 'stalled', ms: stallMs });
      else if (now - startedAt > timeLimitMs) halt({ kind: 'timeout', ms: timeLimitMs });
      this.d.lifecycle
        .heartbeat(execution)
        .then((owned) => owned || halt({ kind: 'lost' }))
        .catch(() => {});
    }, this.d.heartbeatMs ?? 1_000);

    const { scratch } = this.d.storage;
    await scratch.discardEarlierJobTemps(jobId, execution.token);
    const outputPath = scratch.jobTempPath(jobId, execution.token, 'out');
    const scratchPath = scratch.jobTempPath(jobId, execution.token, 'txt');
    const discardTemps = () => Promise.all([scratch.discardTemp(outputPath), scratch.discardTemp(scratchPath)]);
    try {
      const produced = await this.produce(execution, { outputPath, scratchPath }, stop, () => (lastRise = Date.now()));
      clearInterval(heartbeat);
      await scratch.discardTemp(scratchPath);
      return await this.publish(execution, produced, outputPath);
    } catch (err) {
      clearInterval(heartbeat);
      await discardTemps();
      const reason = stop.signal.aborted ? (stop.signal.reason as StopReason) : undefined;
      if (reason?.kind === 'lost') return { kind: 'lost' };
      if (reason?.kind === 'shutdown') {
        await this.d.lifecycle.release(execution).catch(() => {});
        return { kind: 'shutdown', error: err };
      }
      const error =
        reason?.kind === 'stalled' || reason?.kind === 'timeout'
          ? new CodedError(reason.kind === 'stalled' ? 'stalled' : 'time_limit', describeStop(reason))
          : err;
      return this.recordFailure(execution, error);
    } finally {
      clearInterval(heartbeat);
      workerSignal?.removeEventListener('abort', onWorkerAbort);
    }
  }

  /** Generous: a 1080p re-encode on two cores runs at about 3× real time; never less than 10 minutes. */
  private timeLimitFor(expectedSec: number): number {
    return Math.max(this.d.timeLimitFloorMs ?? 600_000, expectedSec * 1000 * (this.d.timeLimitFactor ?? 10));
  }

  private async produce(
    execution: Execution,
    files: { outputPath: string; scratchPath: string },
    stop: AbortController,
    onRise: () => void,
  ) {
    const { inputs } = execution;
    const staged = await Promise.allSettled(inputs.map((v) => this.d.storage.inputs.stage(v.storageKey!)));
    try {
      const missing = staged.findIndex((s) => s.status === 'rejected' && (s.reason as NodeJS.ErrnoException).code === 'ENOENT');
      if (missing >= 0) throw new CodedError('input_missing', `The file of input video ${inputs[missing]!.id} is gone from storage.`);
      const failed = staged.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
      const inputPaths = staged.map((s) => (s as PromiseFulfilledResult<StagedInput>).value.path);
      return await this.runProcessor(execution, inputPaths, files, stop, onRise);
    } finally {
      for (const s of staged) if (s.status === 'fulfilled') s.value.release();
    }
  }

  private async runProcessor(
    execution: Execution,
    inputPaths: string[],
    files: { outputPath: string; scratchPath: string },
    stop: AbortController,
    onRise: () => void,
  ) {
    const { job, inputs } = execution;
    const write = this.progressWriter(execution, stop);
    const result = await processors[job.type]({
      job,
      inputs,
      inputPaths,
      ...files,
      ffmpegPath: this.d.ffmpegPath,
      ffprobePath: this.d.ffprobePath,
      signal: stop.signal,
      logger: this.d.logger,
      onProgress: (percent: number) => {
        onRise();
        write(percent);
      },
    });
    // A stream copy's output needs no ffprobe where its sample tables tell what ffprobe would.
    const described = result.streamsCopiedFrom ? await describeCopiedOutput(files.outputPath, result.streamsCopiedFrom).catch(() => null) : null;
    const probed = described ?? (await this.d.probe(files.outputPath, stop.signal));
    if (!probed.ok) throw new CodedError('output_unreadable', `FFmpeg wrote an output that does not probe: ${probed.reason}`);
    const frames = probed.frames;
    if (!frames) throw new CodedError('output_unreadable', 'ffprobe cannot count the frames of the output FFmpeg wrote.');
    const durationSec = probed.info.durationSec;
    const achieved: JobResult = {
      method: result.method,
      firstFrameSec: frames.firstFrameSec,
      frameCount: frames.frameCount,
      durationSec,
      // A processor that does not say re-encoded all of it.
      reencodedSec: Math.round(Math.min(result.reencodedSec ?? durationSec, durationSec) * 1000) / 1000,
      fallbackReason: result.fallbackReason ?? null,
      ...(result.reencodedInputs ? { reencodedInputs: result.reencodedInputs } : {}),
      ...(result.normalizedFrameRate ? { normalizedFrameRate: result.normalizedFrameRate, vfrInputs: result.vfrInputs ?? [] } : {}),
    };
    return { ...result, info: probed.info, achieved };
  }

  /**
   * The output goes in under a key of this attempt's own, then the fenced completion decides. A
   * loser removes only its own key, never the winner's; a crash in between leaves a file no record
   * names, which retention removes.
   */
  private async publish(
    execution: Execution,
    produced: Awaited<ReturnType<JobRunner['produce']>>,
    outputPath: string,
  ): Promise<RunOutcome> {
    const key = `${execution.job.outputVideoId}.${execution.token}.${extensionForContainer(produced.container)}`;
    await this.d.storage.blobs.put(outputPath, key);
    // If the commit's answer is lost, whether it won is unknown: the file stays, and retention
    // removes it if no record names it.
    const won = await this.d.lifecycle.complete(execution, { method: produced.method, storageKey: key, metadata: toProbedMetadata(produced.info), result: produced.achieved });
    if (!won) await this.d.storage.blobs.remove(key).catch(() => {});
    return { kind: won ? 'completed' : 'lost' };
  }

  private progressWriter(fence: Execution, stop: AbortController) {
    let chain = Promise.resolve();
    return (percent: number) => {
      chain = chain.then(async () => {
        const owned = await this.d.lifecycle.progress(fence, percent).catch(() => true);
        if (!owned && !stop.signal.aborted) stop.abort({ kind: 'lost' } satisfies StopReason);
      });
    };
  }

  private async recordFailure(execution: Execution, err: unknown): Promise<RunOutcome> {
    const failure = classifyError(err);
    const outcome = await this.d.lifecycle.fail(execution, failure);
    this.d.logger.warn({ jobId: execution.jobId, attempt: execution.token, outcome, code: failure.code, err: failure.message }, 'job attempt failed');
    if (outcome === 'retrying') return { kind: 'retry', error: err };
    return { kind: outcome === 'failed' ? 'failed' : 'lost' };
  }
}

const DISK_FULL = /No space left on device|Disk quota exceeded|ENOSPC|EDQUOT/i;

/** The code an attempt's failure is recorded under, which decides whether it is retried. */
export function classifyError(err: unknown): JobFailure {
  const message = describeError(err);
  if (err instanceof CodedError) return { code: err.code, message };
  if (isInputError(err)) return { code: 'input_invalid', message };
  const errno = (err as NodeJS.ErrnoException | null)?.code;
  if (errno === 'ENOSPC' || errno === 'EDQUOT') return { code: 'disk_full', message };
  if (err instanceof FfmpegError) return { code: DISK_FULL.test(err.stderrTail) ? 'disk_full' : 'ffmpeg_failed', message };
  return { code: 'internal_error', message };
}

function describeError(err: unknown): string {
  if (err instanceof FfmpegError) {
    const tail = err.stderrTail.slice(-STDERR_IN_ERROR).trim();
    return `FFmpeg failed (exit ${err.exitCode ?? err.signal ?? 'unknown'})${tail ? `: ${tail}` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}
