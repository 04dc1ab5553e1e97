import type { JobType } from '../../src/domain/job.js';
import { concatProcessor } from './concat.processor.js';
import type { Processor } from './processor.js';
import { trimProcessor } from './trim.processor.js';

/** Exhaustive: a new job type does not compile until it has a processor. */
export const processors: Readonly<Record<JobType, Processor>> = {
  trim: trimProcessor,
  concat: concatProcessor,
};
