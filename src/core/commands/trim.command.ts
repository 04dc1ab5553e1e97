import { z } from 'zod';
import { validation } from '../../domain/errors.js';
import { TRIM_MODES } from '../../domain/job.js';
import { framesInRange } from '../../media/argv.js';
import type { CommandType } from './command.js';

// ffprobe durations are rounded to microseconds; an end equal to the duration must pass.
const DURATION_TOLERANCE_SEC = 0.0005;

// start and end are seconds from the source's first video frame (frame 0 is at 0), whatever
// timestamps its container starts at (MPEG-TS files start at 1.4 s or later, often with audio first).
const TrimParams = z
  .object({ start: z.number().finite().min(0), end: z.number().finite(), mode: z.enum(TRIM_MODES) })
  .refine((p) => p.end > p.start, { message: 'end must be greater than start', path: ['end'] });

export const trimCommand: CommandType<'trim'> = {
  type: 'trim',
  params: TrimParams,
  outputKind: 'trim',
  inputs: { min: 1, max: 1 },
  validate(params, [input]) {
    if (!input || input.status !== 'ready' || input.durationSec === null) return;
    if (params.end > input.durationSec + DURATION_TOLERANCE_SEC) {
      throw validation(`end (${params.end}) is beyond the duration of video ${input.id} (${input.durationSec} s).`, { field: 'end' }, 'trim_end_beyond_duration');
    }
    // Whatever the mode, a range must hold a frame: the same rule for every client, whatever a copy would keep.
    if (input.fps && framesInRange(params.start, Math.min(params.end, input.durationSec), input.fps) < 1) {
      throw validation(`The range ${params.start}..${params.end} s holds no frame of video ${input.id} (${input.fps} fps); make it at least one frame long.`, {
        field: 'end',
      }, 'trim_range_empty');
    }
  },
  expectedDurationSec: (params) => params.end - params.start,
};
