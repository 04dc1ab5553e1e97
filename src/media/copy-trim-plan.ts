import type { Fraction } from './argv.js';
import type { PacketInfo, PacketWindow } from './smart-cut-plan.js';

export interface CopyTrimPlanInput {
  /** Seconds from the first video frame (frame 0), as the job gives them. */
  start: number;
  end: number;
  timeBase: Fraction;
  /** The video's nominal rate, for half-frame margins; only its order of magnitude matters. */
  frameSec: number;
  /** Absolute pts (ticks) of the first video frame. */
  firstPts: number;
  /** The file's start time (ffprobe format start_time), seconds: where -ss counts from. */
  origin: number;
  /** Video packets in decode order from a keyframe before `start`, and from one before `end`. */
  startWindow: PacketWindow;
  endWindow: PacketWindow;
  /**
   * Seconds the input seek goes further back than the keyframe: the mov and matroska demuxers land
   * exactly on it, an MPEG-TS seek (by bisecting byte positions) can land a little after the point.
   */
  seekMarginSec?: number;
  /**
   * The demuxer seeks to the keyframe at or before a presentation time (mov, mp4): the seek can then
   * aim just past the keyframe and lands on it, so nothing read before it needs dropping.
   */
  exactSeek?: boolean;
  /**
   * Absolute pts (ticks) of the keyframe to start on instead of the last one at or before the start:
   * an IDR picture further back, when that keyframe opens an open GOP (see runCopyTrim).
   */
  keyframePts?: number;
}

export type CopyTrimPlan =
  | { ok: false; reason: string }
  | {
      ok: true;
      /** Input -ss (seconds from the file start) for the video: just before the keyframe the copy starts on. */
      seekTo: number;
      /** Input -t from seekTo: halfway between the decode times of the last packet kept and the first one dropped; null to the end. */
      readFor: number | null;
      /** Whether the keyframe has leading pictures (decoded after it, shown before it) to drop. */
      dropLeading: boolean;
      /** Whether packets shown before the keyframe can reach the copy and must be dropped (else the seek lands on it). */
      dropBefore: boolean;
      /** The keyframe's pts in video ticks (absolute): packets shown before it are dropped. */
      keyframePts: number;
      /** Absolute time (seconds) of the first output frame: the keyframe. */
      firstFrame: number;
      /** Absolute time (seconds) of the end of the last output frame. */
      endTime: number;
      /** Source frame times of the first and the last kept frame, counted from frame 0 (for the job's result). */
      keptFromSec: number;
      keptToSec: number;
    };

/** Frames may be shown this much later than the packets around them are read (seconds). */
const REORDER_MARGIN_SEC = 1;
const EPS_SEC = 5e-7;
const EXACT_SEEK_PAST_SEC = 0.001;

function refuse(reason: string): CopyTrimPlan {
  return { ok: false, reason };
}

function checked(window: PacketWindow): PacketInfo[] | string {
  const frames = window.packets;
  if (frames.length === 0) return 'no video packets around the cut points';
  for (const [i, f] of frames.entries()) {
    if (!Number.isSafeInteger(f.pts) || !Number.isSafeInteger(f.dts)) return 'packets without timestamps';
    if (i > 0 && f.dts <= frames[i - 1]!.dts) return 'decode timestamps do not increase';
  }
  return frames;
}

/**
 * Plans a stream-copy trim that is clean at both ends:
 * - it starts on the last keyframe shown at or before the first frame at/after `start`, and drops
 *   that keyframe's leading pictures (an open GOP's B-frames that refer to the GOP before it, which
 *   would not decode) — so the output begins with the keyframe and decodes without errors;
 * - it ends at the first point in decode order before which every frame shown before `end` lies and
 *   after which no frame is shown earlier than one before it: every packet before that point is kept,
 *   none after it, so no kept frame lacks a reference and none is missing from between the kept ones.
 * Times count from the first video frame. Pure: everything comes from the packet listings.
 */
export function planCopyTrim(input: CopyTrimPlanInput): CopyTrimPlan {
  const { timeBase: tb } = input;
  if (!(tb.num > 0 && tb.den > 0)) return refuse('unknown time base');
  if (!(input.end > input.start && input.start >= 0)) return refuse('empty range');
  const ticksPerSec = tb.den / tb.num;
  const seconds = (ticks: number): number => ticks / ticksPerSec;
  const frameTicks = input.frameSec * ticksPerSec;
  const startTicks = input.firstPts + (input.start - EPS_SEC) * ticksPerSec;
  const endTicks = input.firstPts + (input.end - EPS_SEC) * ticksPerSec;

  const startFrames = checked(input.startWindow);
  if (typeof startFrames === 'string') return refuse(startFrames);
  const endFrames = checked(input.endWindow);
  if (typeof endFrames === 'string') return refuse(endFrames);

  const first = startFrames.filter((f) => f.pts >= startTicks).sort((a, b) => a.pts - b.pts)[0];
  if (!first) return refuse('no frame at the start');
  let keyIndex = -1;
  startFrames.forEach((f, i) => {
    if (f.key && f.pts <= first.pts && (keyIndex < 0 || f.pts > startFrames[keyIndex]!.pts)) keyIndex = i;
  });
  if (keyIndex < 0 && input.keyframePts === undefined) return refuse('no keyframe before the start in the listing');
  const keyframePts = input.keyframePts ?? startFrames[keyIndex]!.pts;
  if (keyframePts > first.pts) return refuse('the keyframe is shown after the start');
  const dropLeading = input.keyframePts === undefined && startFrames.some((f, i) => i > keyIndex && f.pts < keyframePts);
  const keyframe = { pts: keyframePts };

  // The end: a position i in the end window's decode order (keep [0, i), drop [i, n)).
  const n = endFrames.length;
  const lastPts = Math.max(...endFrames.map((f) => f.pts));
  const trustedUntil = input.endWindow.endTicks - REORDER_MARGIN_SEC * ticksPerSec;
  let readFor: number | null = null;
  let endPts: number;
  let keptTo: number;
  if (lastPts < endTicks && lastPts < trustedUntil) {
    // The stream ends before `end`: copy to its end.
    endPts = lastPts + frameTicks;
    keptTo = lastPts;
  } else {
    let needed = -1;
    endFrames.forEach((f, i) => {
      if (f.pts < endTicks && f.pts >= keyframe.pts) needed = i;
    });
    const restMin: number[] = new Array<number>(n + 1).fill(Number.POSITIVE_INFINITY);
    for (let i = n - 1; i >= 0; i--) restMin[i] = Math.min(restMin[i + 1]!, endFrames[i]!.pts);
    let prefixMax = Number.NEGATIVE_INFINITY;
    let cut = -1;
    for (let i = 0; i < n; i++) {
      if (i > needed && i > 0 && prefixMax < restMin[i]!) {
        cut = i;
        break;
      }
      prefixMax = Math.max(prefixMax, endFrames[i]!.pts);
    }
    if (cut < 0 || restMin[cut]! > trustedUntil) return refuse('no clean cut point after the end in the listing');
    const before = endFrames[cut - 1]!;
    const after = endFrames[cut]!;
    const stopDts = (before.dts + after.dts) / 2;
    endPts = restMin[cut]!;
    keptTo = prefixMax;
    // Absolute for now; made relative to the seek below.
    readFor = seconds(stopDts);
  }

  const halfFrame = input.frameSec / 2;
  const exact = input.exactSeek === true && (input.seekMarginSec ?? 0) <= 0;
  // Past the keyframe by far less than a frame, and by more than the µs rounding of -ss.
  const seekTo = exact
    ? Math.max(0, seconds(keyframe.pts) + Math.min(EXACT_SEEK_PAST_SEC, halfFrame / 2) - input.origin)
    : Math.max(0, seconds(keyframe.pts) - halfFrame - (input.seekMarginSec ?? 0) - input.origin);
  if (readFor !== null) {
    readFor -= input.origin + seekTo;
    if (readFor <= 0) return refuse('the copy would be empty');
  }
  return {
    ok: true,
    seekTo,
    readFor,
    dropLeading,
    dropBefore: dropLeading || !exact,
    keyframePts,
    firstFrame: seconds(keyframe.pts),
    endTime: seconds(endPts),
    keptFromSec: seconds(keyframe.pts - input.firstPts),
    keptToSec: seconds(keptTo - input.firstPts),
  };
}
