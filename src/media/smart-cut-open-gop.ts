import type { MediaLogger } from './logger.js';
import { captureProcess } from './runner.js';
import { buildIdrListArgs, parseIdrTimes } from './smart-cut-args.js';
import { KEYFRAME_SEARCH_SEC } from './smart-cut-plan.js';

const PROBE_TIMEOUT_MS = 60_000;

export interface IdrSearch {
  input: string;
  ffmpegPath: string;
  signal: AbortSignal;
  logger?: MediaLogger | undefined;
  /** The file's start time (seconds): -ss counts from there, the listed times from 0. */
  origin: number;
  /** Absolute time (seconds) of the first output frame. */
  firstFrame: number;
  /** Absolute time (seconds) before which the copy must stop: an IDR picture there leaves nothing to copy. */
  end: number;
}

/**
 * The first IDR picture at or after the first output frame, as absolute seconds, or null when
 * there is none within KEYFRAME_SEARCH_SEC (or before `end`). An H.264 open GOP starts on an
 * I-frame that is no IDR: even with its leading pictures re-encoded, the frames after it carry
 * reference-marking commands for pictures of the GOP before, so only an IDR starts a clean copy.
 */
export async function firstIdrFrom(s: IdrSearch): Promise<number | null> {
  const readFor = Math.min(KEYFRAME_SEARCH_SEC, s.end - s.firstFrame);
  if (!(readFor > 0)) return null;
  // From a little before the first frame: the seek lands on the keyframe before it, which is listed too.
  const seekTo = Math.max(0, s.firstFrame - s.origin - 0.5);
  const args = buildIdrListArgs(s.input, seekTo, s.firstFrame - s.origin - seekTo + readFor);
  const res = await captureProcess(s.ffmpegPath, args, { tool: 'ffmpeg', signal: s.signal, timeoutMs: PROBE_TIMEOUT_MS, logger: s.logger });
  if (res.exitCode !== 0 || res.timedOut || res.stdoutOverflow) return null;
  const after = parseIdrTimes(res.stdout).filter((t) => t >= s.firstFrame - 1e-6 && t < s.end);
  return after.length > 0 ? Math.min(...after) : null;
}
