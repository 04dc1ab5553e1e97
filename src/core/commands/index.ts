import type { JobType } from '../../domain/job.js';
import type { CommandType } from './command.js';
import { concatCommand } from './concat.command.js';
import { trimCommand } from './trim.command.js';

/** Exhaustive: a new job type does not compile until it is declared here. */
export const COMMANDS: { readonly [T in JobType]: CommandType<T> } = {
  trim: trimCommand,
  concat: concatCommand,
};

export function commandOf<T extends JobType>(type: T): CommandType<T> {
  return COMMANDS[type];
}

export type { CommandType } from './command.js';
