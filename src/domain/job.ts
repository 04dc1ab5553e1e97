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

export interface Job {
  id: string;
  type: JobType;
  status: JobStatus;
  params: TrimParams | ConcatParams;
  inputVideoIds: string[];
  outputVideoId: string;
  dependsOn: string[];
  progress: number;
  attempts: number;
  error: string | null;
  method: string | null;
  createdAt: Date;
  updatedAt: Date;
  queuedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  pending: ['queued', 'cancelled'],
  queued: ['in_progress', 'cancelled', 'failed'],
  // in_progress → in_progress is a re-delivery after a crash: the next attempt of the same run.
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

export function isTrimParams(params: Job['params']): params is TrimParams {
  return typeof (params as TrimParams).start === 'number';
}
