import type { MediaLogger } from './logger.js';
import { movCleanStartTimes } from './mov-idr.js';
import { readMovIndex, type MovIndex } from './mov-index.js';
import { captureProcess } from './runner.js';
import { buildIdrListArgs, parseIdrTimes } from './smart-cut-args.js';
import { KEYFRAME_SEARCH_SEC, OPEN_GOP_REASON, type SmartCutPlan } from './smart-cut-plan.js';

const PROBE_TIMEOUT_MS = 60_000;

export interface IdrSearch {
  input: string;
  ffmpegPath: string;
  signal: AbortSignal;
  logger?: MediaLogger | undefined;
  /** The file's start time (seconds): -ss counts from there, the listed times from 0. */
  origin: number;
  /** Absolute time (seconds) of the range's start. */
  from: number;
  /** Absolute time (seconds) of the range's end: an IDR picture there leaves nothing to copy. */
  end: number;
}

/**
 * The first IDR picture at or after `from` and before `until` (KEYFRAME_SEARCH_SEC later unless
 * given) and `end`, as absolute seconds: null when there is none, 'failed' when the packets could
 * not be read.
 */
async function firstIdrFrom(s: IdrSearch, tables: Promise<MovIndex | null>, until = s.from + KEYFRAME_SEARCH_SEC): Promise<number | null | 'failed'> {
  const readFor = Math.min(until, s.end) - s.from;
  if (!(readFor > 0)) return null;
  const fromTables = await movCleanStartTimes(s.input, await tables, s.from, s.from + readFor);
  if (fromTables) {
    const found = fromTables.filter((t) => t < s.end);
    return found.length > 0 ? Math.min(...found) : null;
  }
  // From a little before: the seek lands on the keyframe before, which is listed too.
  const seekTo = Math.max(0, s.from - s.origin - 0.5);
  const args = buildIdrListArgs(s.input, seekTo, s.from - s.origin - seekTo + readFor);
  const res = await captureProcess(s.ffmpegPath, args, { tool: 'ffmpeg', signal: s.signal, timeoutMs: PROBE_TIMEOUT_MS, logger: s.logger });
  if (res.exitCode !== 0 || res.timedOut || res.stdoutOverflow) return 'failed';
  const after = parseIdrTimes(res.stdout).filter((t) => t >= s.from - 1e-6 && t < s.end);
  return after.length > 0 ? Math.min(...after) : null;
}

/**
 * The plan with its copy starting on an IDR picture: the first one at or after the start, when the
 * first keyframe in the range is none (an I-frame of an H.264 open GOP). Even with its leading
 * pictures re-encoded, the frames after such an I-frame carry reference-marking commands for
 * pictures of the GOP before it, so only an IDR picture starts a copy that decodes cleanly. `replan`
 * plans again with the copy held back to the given absolute pts (ticks).
 */
export async function planFromIdr(
  plan: SmartCutPlan,
  search: IdrSearch,
  ticksPerSec: number,
  replan: (copyFromTicks: number) => SmartCutPlan,
): Promise<SmartCutPlan> {
  if (!plan.ok && plan.reason !== OPEN_GOP_REASON) return plan;
  const isPlannedKeyframe = (t: number | null | 'failed'): boolean =>
    plan.ok && typeof t === 'number' && Math.abs(search.origin + plan.copy.keyframe - t) < plan.frameDuration / 2;
  // The sample tables (of an mp4/mov) are read once for both look-ups.
  const tables = readMovIndex(search.input).catch(() => null);
  // Most often the planned keyframe is an IDR picture, which a listing up to it tells.
  if (plan.ok && isPlannedKeyframe(await firstIdrFrom(search, tables, search.origin + plan.copy.keyframe + plan.frameDuration / 2))) return plan;
  const idr = await firstIdrFrom(search, tables);
  // The run checks the keyframe once more before it copies from it.
  if (idr === 'failed') return plan.ok ? plan : { ok: false, reason: `${OPEN_GOP_REASON}; its IDR pictures cannot be listed` };
  if (idr === null) {
    const why = plan.ok ? 'the first keyframe in the range is not an IDR picture' : OPEN_GOP_REASON;
    return { ok: false, reason: `${why}, and no IDR picture follows before the end or within ${KEYFRAME_SEARCH_SEC} s` };
  }
  if (isPlannedKeyframe(idr)) return plan;
  return replan(Math.round(idr * ticksPerSec));
}
