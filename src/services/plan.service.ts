import type { JobLifecycle } from '../core/lifecycle.js';
import type { InputStager, JobStore, StagedInput, Throughput, VideoStore } from '../core/ports.js';
import type { Job } from '../domain/job.js';
import type { TenantFilter } from '../domain/tenant.js';
import type { Video } from '../domain/video.js';
import { canConcatByCopy, concatFilterTiming } from '../media/argv.js';
import type { MediaLogger } from '../media/logger.js';
import type { MediaInfo } from '../media/media-info.js';
import { forecastSmartConcat } from '../media/smart-concat.js';
import { forecastSmartCut } from '../media/smart-cut.js';

/** What a run would do with one job: the method the worker will use and why, and what it will cost. */
export interface JobPlan {
  jobId: string;
  type: Job['type'];
  /** Null when it cannot be told yet (an input is still to be made) or the job would fail at once. */
  method: string | null;
  reason: string;
  /** Seconds of output it will make (a copy trim: about, keyframes decide). */
  expectedDurationSec: number | null;
  /** Seconds of video it will re-encode. */
  reencodedSec: number | null;
  /**
   * Seconds it should take, from the speed this installation measured on its own finished jobs;
   * null until it has finished jobs of the kind (re-encoding, copying) this one needs.
   */
  estimatedRunSec: number | null;
}

export interface PlanTools {
  ffprobePath: string;
  /** For the smart cut forecast's IDR look-up (open GOPs). */
  ffmpegPath: string;
  logger?: MediaLogger | undefined;
  /** The file of a stored video, on this host. */
  inputs: InputStager;
}

const PLAN_TIMEOUT_MS = 60_000;
/** Finished jobs the throughput is measured over. */
const THROUGHPUT_SAMPLE = 50;
const round = (s: number) => Math.round(s * 1000) / 1000;
const mediaOf = (v: Video): MediaInfo | null => (v.media && v.durationSec !== null ? (v.media as unknown as MediaInfo) : null);

/**
 * POST /api/jobs/run {"dryRun": true}: the plan of every job the run would queue, made with the same
 * decisions the processors make (the smart cut from the same packet probes), changing nothing.
 */
export class PlanService {
  constructor(
    private readonly lifecycle: JobLifecycle,
    private readonly videos: VideoStore,
    private readonly jobs: Pick<JobStore, 'measuredThroughput'>,
    private readonly tools: PlanTools,
  ) {}

  async plan(jobIds?: string[], tenant: TenantFilter = null): Promise<JobPlan[]> {
    const candidates = await this.lifecycle.wouldRun(jobIds, tenant);
    const inputs = new Map((await this.videos.findByIds([...new Set(candidates.flatMap((c) => c.job.inputVideoIds))])).map((v) => [v.id, v]));
    const signal = AbortSignal.timeout(PLAN_TIMEOUT_MS);
    const speed = await this.jobs.measuredThroughput(THROUGHPUT_SAMPLE);
    const plans: JobPlan[] = [];
    // One at a time: each smart-cut forecast runs ffprobe.
    for (const { job, blockedBy } of candidates) {
      const videos = job.inputVideoIds.map((id) => inputs.get(id));
      const base = { jobId: job.id, type: job.type };
      if (blockedBy) {
        plans.push({ ...base, method: null, reason: `${blockedBy} The run would fail this job at once.`, expectedDurationSec: null, reencodedSec: null, estimatedRunSec: null });
        continue;
      }
      const missing = videos.findIndex((v) => !v || v.status !== 'ready' || !mediaOf(v));
      if (missing >= 0) {
        const v = videos[missing];
        const why = v?.sourceJobId
          ? `input video ${v.id} is not made yet (job ${v.sourceJobId}): the method is chosen once it exists`
          : `input video ${job.inputVideoIds[missing]} is ${v ? v.status : 'gone'}`;
        const expected = job.type === 'trim' ? round(job.params.end - job.params.start) : null;
        plans.push({ ...base, method: null, reason: why, expectedDurationSec: expected, reencodedSec: null, estimatedRunSec: null });
        continue;
      }
      const ready = videos as Video[];
      const plan = await this.planReady(job, ready, signal);
      plans.push({ ...base, ...plan, estimatedRunSec: estimate(plan.expectedDurationSec!, plan.reencodedSec!, speed) });
    }
    return plans;
  }

  private async planReady(job: Job, inputs: Video[], signal: AbortSignal): Promise<Omit<JobPlan, 'jobId' | 'type' | 'estimatedRunSec'>> {
    const infos = inputs.map((v) => mediaOf(v)!);
    if (job.type === 'concat') {
      const total = round(infos.reduce((sum, i) => sum + i.durationSec, 0));
      if (canConcatByCopy(infos)) {
        return { method: 'concat-copy', reason: 'the inputs share container, codecs, size, frame rate and time base: joined by stream copy', expectedDurationSec: total, reencodedSec: 0 };
      }
      const staged = await Promise.allSettled(inputs.map((v) => this.tools.inputs.stage(v.storageKey!)));
      let smart: Awaited<ReturnType<typeof forecastSmartConcat>>;
      try {
        const gone = staged.findIndex((s) => s.status === 'rejected');
        if (gone >= 0) {
          const err = (staged[gone] as PromiseRejectedResult).reason as NodeJS.ErrnoException;
          if (err.code !== 'ENOENT') throw err;
          return { method: null, reason: `the file of input video ${inputs[gone]!.id} is gone from storage: the run would fail the job`, expectedDurationSec: total, reencodedSec: null };
        }
        smart = await forecastSmartConcat({
          inputs: staged.map((s, i) => ({ path: (s as PromiseFulfilledResult<StagedInput>).value.path, info: infos[i]! })),
          ffprobePath: this.tools.ffprobePath,
          signal,
          logger: this.tools.logger,
        });
      } finally {
        for (const s of staged) if (s.status === 'fulfilled') s.value.release();
      }
      if (smart.ok) {
        const which = smart.reencodedInputs.length === 0 ? 'no input is' : `input${smart.reencodedInputs.length > 1 ? 's' : ''} ${smart.reencodedInputs.join(', ')} ${smart.reencodedInputs.length > 1 ? 'are' : 'is'}`;
        return {
          method: 'concat-smart',
          reason: `the inputs differ: ${which} re-encoded to match input ${smart.targetInput} (H.264 ${smart.target.width}x${smart.target.height} at ${smart.target.rate.num}/${smart.target.rate.den} fps), the rest is stream-copied`,
          expectedDurationSec: round(smart.lengthSec),
          reencodedSec: round(smart.reencodedSec),
        };
      }
      return {
        method: 'concat-filter',
        reason: `the inputs differ and cannot be joined by copy (${smart.reason}): every input is re-encoded at ${concatFilterTiming(infos).rateText} fps`,
        expectedDurationSec: total,
        reencodedSec: total,
      };
    }
    const info = infos[0]!;
    const end = Math.min(job.params.end, info.durationSec);
    const expected = round(end - job.params.start);
    if (job.params.mode === 'copy') {
      return { method: 'stream-copy', reason: 'copy mode: keyframe-aligned stream copy, nothing re-encoded', expectedDurationSec: expected, reencodedSec: 0 };
    }
    const reencode = (why: string) => ({ method: 'reencode', reason: `${why}: full re-encode`, expectedDurationSec: expected, reencodedSec: expected });
    if (info.video.codec !== 'h264' && info.video.codec !== 'hevc') return reencode(`codec ${info.video.codec} is not H.264 or HEVC`);
    let input: StagedInput;
    try {
      input = await this.tools.inputs.stage(inputs[0]!.storageKey!);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return { method: null, reason: `the file of input video ${inputs[0]!.id} is gone from storage: the run would fail the job`, expectedDurationSec: expected, reencodedSec: null };
    }
    const forecast = await forecastSmartCut({
      input: input.path,
      start: job.params.start,
      end,
      info,
      ffmpegPath: this.tools.ffmpegPath,
      ffprobePath: this.tools.ffprobePath,
      signal,
      logger: this.tools.logger,
    }).finally(() => input.release());
    if (!forecast.ok) return reencode(forecast.reason);
    const reencodedSec = round(forecast.reencodedSec);
    return {
      method: 'smart-cut',
      reason: `${info.video.codec === 'hevc' ? 'HEVC' : 'H.264'} in ${info.container}: the ${reencodedSec} s before the first keyframe and after the last copyable frame are re-encoded, the rest is stream-copied`,
      expectedDurationSec: round(forecast.lengthSec),
      reencodedSec,
    };
  }
}

/** Re-encoded seconds at the measured encode speed, the rest at the copy speed. */
function estimate(expectedSec: number, reencodedSec: number, speed: Throughput): number | null {
  const copiedSec = Math.max(0, expectedSec - reencodedSec);
  if (reencodedSec > 0 && speed.encodeSecPerSec === null) return null;
  if (copiedSec > 0 && speed.copySecPerSec === null) return null;
  return round(reencodedSec * (speed.encodeSecPerSec ?? 0) + copiedSec * (speed.copySecPerSec ?? 0));
}
