import type { ClientMetadata } from './metadata.js';

export const JOB_TYPES = ['trim', 'concat'] as const;
export const JOB_STATUSES = ['pending', 'queued', 'in_progress', 'completed', 'failed', 'cancelled'] as const;
export const TRIM_MODES = ['accurate', 'copy'] as const;
export type JobType = (typeof JOB_TYPES)[number];
export type JobStatus = (typeof JOB_STATUSES)[number];
export type TrimMode = (typeof TRIM_MODES)[number];

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
  method: string | null;
  /** The client's own object given with the command (null: none). */
  clientMetadata: ClientMetadata | null;
  /** Until when the execution that claimed it owns it without a heartbeat. */
  leaseUntil: Date | null;
  /** `attempts` when the current run began; the run's attempt budget counts from here. */
  attemptBase: number;
  /** Bumped by every change; the per-job sequence number of its events. */
  eventSeq: number;
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
