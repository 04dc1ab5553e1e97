import { z } from 'zod';
import type { CommandType } from './command.js';

export const concatCommand: CommandType<'concat'> = {
  type: 'concat',
  params: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
  outputKind: 'concat',
  inputs: { min: 2, max: 100 },
  validate() {},
  expectedDurationSec: (_params, inputs) => inputs.reduce((sum, v) => sum + (v.durationSec ?? 0), 0),
};
