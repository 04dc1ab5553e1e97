import type { z } from 'zod';
import type { JobType, ParamsByType } from '../../domain/job.js';
import type { Video, VideoKind } from '../../domain/video.js';

/**
 * A command type, declared once: its params, how they are checked against the inputs, what it
 * produces and how long that lasts. A new command type is one file here plus its processor.
 */
export interface CommandType<T extends JobType> {
  type: T;
  params: z.ZodType<ParamsByType[T]>;
  outputKind: VideoKind;
  /** How many inputs it takes. */
  inputs: { min: number; max: number };
  /**
   * Throws a validation error (422 at the API) when the params cannot work on these inputs. Inputs
   * that are not ready yet (outputs of jobs that have not run) are checked when the job runs.
   */
  validate(params: ParamsByType[T], inputs: readonly Video[]): void;
  /** Seconds of output it makes; the job's time limit grows with it. */
  expectedDurationSec(params: ParamsByType[T], inputs: readonly Video[]): number;
}
