import type { ClientMetadata } from './metadata.js';

export const JOB_TYPES = ['trim', 'concat'] as const;
export const JOB_STATUSES = ['pending', 'queued', 'in_progress', 'completed', 'failed', 'cancelled'] as const;
export const TRIM_MODES = ['accurate', 'copy'] as const;
export type JobType = (typeof JOB_TYPES)[number];
export type JobStatus = (typeof JOB_STATUSES)[number];
export type TrimMode = (typeof TRIM_MODES)[number];

/**
 * Why a job (or its last attempt) failed, for programs to branch on; `error` is for people. The value
 * says whether running the same job again may work: a crash may, an input that cannot work may not
 * (and a failed dependency wants the dependency retried).
 */
export const JOB_ERROR_CODES = {
  ffmpeg_failed: { retryable: true },
  stalled: { retryable: true },
  time_limit: { retryable: true },
  disk_full: { retryable: true },
  output_unreadable: { retryable: true },
  internal_error: { retryable: true },
  input_invalid: { retryable: false },
  input_missing: { retryable: false },
  dependency_failed: { retryable: false },
} as const satisfies Record<string, { retryable: boolean }>;
export type JobErrorCode = keyof typeof JOB_ERROR_CODES;
export const JOB_ERROR_CODE_NAMES = Object.keys(JOB_ERROR_CODES) as [JobErrorCode, ...JobErrorCode[]];
export const isRetryableJobError = (code: JobErrorCode): boolean => JOB_ERROR_CODES[code].retryable;

/** A failure as the lifecycle records it. */
export interface JobFailure {
  code: JobErrorCode;
  message: string;
}

/** What a finished trim or concat achieved, read from its output. */
export interface JobResult {
  method: string;
  /** Presentation time of the output's first video frame. */
  firstFrameSec: number;
  frameCount: number;
  durationSec: number;
  /** Seconds of video that were re-encoded (0 for a copy). */
  reencodedSec: number;
  /** Why an accurate trim could not be a smart cut, or a concat a copy or smart concat, and was re-encoded whole; null otherwise. */
  fallbackReason: string | null;
  /** A concat's inputs (indexes into its inputs, in order) that were re-encoded; absent for trims. */
  reencodedInputs?: number[];
  /** A filter concat's constant output rate ("30/1"), to which its VFR inputs were re-timed; absent otherwise. */
  normalizedFrameRate?: string;
  /** A filter concat's inputs (indexes) with a variable frame rate, re-timed to `normalizedFrameRate`; absent otherwise. */
  vfrInputs?: number[];
}

export interface TrimParams {
  start: number;
  end: number;
  mode: TrimMode;
}
export type ConcatParams = Record<string, never>;

/** What every job has; `Job` adds the params of its type. */
export interface JobBase {
  id: string;
  status: JobStatus;
  inputVideoIds: string[];
  outputVideoId: string;
  dependsOn: string[];
  progress: number;
  attempts: number;
  error: string | null;
  /** Set with `error` (null when it is). */
  errorCode: JobErrorCode | null;
  method: string | null;
  /** Set when the job completed. */
  result: JobResult | null;
  /** The client's own object given with the command (null: none). */
  clientMetadata: ClientMetadata | null;
  /** A one-off receiver of this job's events (and its output video's), given with the command. */
  callbackUrl: string | null;
  /** Until when the execution that claimed it owns it without a heartbeat. */
  leaseUntil: Date | null;
  /** `attempts` when the current run began; the run's attempt budget counts from here. */
  attemptBase: number;
  /** Bumped by every change; the per-job sequence number of its events. */
  eventSeq: number;
  /** The tenant of the key that recorded it. */
  tenantId: string;
  /** Set while a claim was refused because its tenant had TENANT_MAX_RUNNING jobs in progress. */
  parkedAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
  queuedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface ParamsByType {
  trim: TrimParams;
  concat: ConcatParams;
}

/** A job's params are keyed by its type: `job.type === 'trim'` narrows `job.params`. */
export type Job = { [T in JobType]: JobBase & { type: T; params: ParamsByType[T] } }[JobType];

const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  pending: ['queued', 'cancelled'],
  queued: ['in_progress', 'cancelled', 'failed'],
  // in_progress → in_progress is a takeover once the owner's lease lapsed: the next attempt, which fences the last.
  in_progress: ['in_progress', 'completed', 'failed', 'cancelled'],
  completed: [],
  failed: ['queued'],
  cancelled: [],
};

/** The statuses a job may be in for it to move to `to`: the guard of every status UPDATE. */
export function statusesAllowedBefore(to: JobStatus): JobStatus[] {
  return JOB_STATUSES.filter((from) => TRANSITIONS[from].includes(to));
}

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export const UNFINISHED_JOB_STATUSES: readonly JobStatus[] = ['pending', 'queued', 'in_progress'];
export const isFinished = (status: JobStatus): boolean => !UNFINISHED_JOB_STATUSES.includes(status);
