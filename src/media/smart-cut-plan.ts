import type { Fraction } from './argv.js';

/** One video packet as ffprobe lists it: timestamps in stream time-base ticks. */
export interface PacketInfo {
  pts: number;
  dts: number;
  key: boolean;
}

/**
 * The packets ffprobe read for one `-read_intervals` window, in file (decode) order.
 * ffprobe starts at the keyframe before the window and stops at the first packet whose
 * pts reaches `endTicks`, so with B-frames a few packets just below that may be missing.
 */
export interface PacketWindow {
  packets: PacketInfo[];
  endTicks: number;
}

export interface SmartCutPlanInput {
  /** Seconds from the start of the file, as for `-ss`. */
  start: number;
  end: number;
  timeBase: Fraction;
  frameRate: Fraction;
  /** The file's start time (ffprobe format start_time) in ticks; `start`/`end` count from there. */
  originTicks: number;
  startWindow: PacketWindow;
  endWindow: PacketWindow;
  /** Absolute pts (ticks) before which the copy may not start: an IDR picture past an open-GOP keyframe. */
  copyFromTicks?: number;
  /**
   * 'reencode': the first keyframe may have leading pictures (decoded after it, shown before it, as
   * at an HEVC CRA); the head re-encodes them and the copy leaves them out. Refused by default.
   */
  leadingPictures?: 'refuse' | 'reencode';
}

/** A piece re-encoded from the source: `frames` frames from the first frame at or after `seekTo`. */
export interface EncodedPiece {
  seekTo: number;
  frames: number;
  duration: number;
}

export interface CopiedPiece {
  /** Time of the keyframe the copy starts on. */
  keyframe: number;
  /** Output `-t`: stop at the first packet whose dts (relative to `keyframe`) reaches it; null copies to the end. */
  stopAfter: number | null;
  duration: number;
}

export type SmartCutPlan =
  | { ok: false; reason: string }
  | {
      ok: true;
      /** Time of the first output frame (the first source frame at or after start). */
      firstFrame: number;
      /** Output length in seconds (frames × frame duration). */
      length: number;
      head: EncodedPiece | null;
      copy: CopiedPiece;
      tail: EncodedPiece | null;
      /**
       * Ticks by which the re-encoded pieces' dts must trail their pts so that decode
       * timestamps keep increasing where they meet copied packets that B-frames delay.
       */
      dtsShiftTicks: number;
      /** The same for the tail alone: less than `dtsShiftTicks` where the copy's last packets decode later. */
      tailDtsShiftTicks: number;
      frameDuration: number;
    };

/** Frames may be displayed later than decoded by at most this much (in seconds) near a window's end. */
export const REORDER_MARGIN_SEC = 1;
/** How far past `start` the first keyframe is looked for. */
export const KEYFRAME_SEARCH_SEC = 20;
/**
 * Windows reach back this far before the point of interest: a demuxer that seeks by dts may
 * otherwise land on a keyframe shown after it when B-frames delay decoding.
 */
export const SEEK_LOOKBACK_SEC = 1;
/** Both windows run this far past the point of interest, so the reorder margin is covered. */
export const WINDOW_OVERRUN_SEC = 1.5;
/**
 * The listings hold every stream, and ffprobe stops at the first packet of any of them that reaches
 * the window's end. The mov demuxer never reads a packet before another stream's packet whose dts is
 * more than 1 s earlier, so listing this much further keeps the video up to the window's end complete.
 */
export const INTERLEAVE_SLACK_SEC = 1;

const EPS_SEC = 5e-7;

/** Why a plan fails when its first keyframe has leading pictures (prepare then looks for an IDR picture past it). */
export const OPEN_GOP_REASON = 'open GOP at the first keyframe';

function unsupported(reason: string): SmartCutPlan {
  return { ok: false, reason };
}

/**
 * The two probe windows, in seconds from the file start: one from `start` to the last point
 * where the first keyframe is looked for, one around `end`. A single window when they overlap.
 */
export function probeWindows(start: number, end: number): { from: number; to: number }[] {
  const from = Math.max(0, start - SEEK_LOOKBACK_SEC);
  const startWindow = { from, to: Math.min(start + KEYFRAME_SEARCH_SEC, end) + WINDOW_OVERRUN_SEC };
  const endFrom = Math.max(from, end - SEEK_LOOKBACK_SEC);
  if (endFrom <= startWindow.to) return [{ from, to: end + WINDOW_OVERRUN_SEC }];
  return [startWindow, { from: endFrom, to: end + WINDOW_OVERRUN_SEC }];
}

/** How far (ticks) a frame may sit off the frame grid: a tick of rounding, or 1 %. */
function frameTolerance(frameTicks: number): number {
  return Math.max(1, frameTicks * 0.01);
}

interface Frame {
  pts: number;
  dts: number;
  key: boolean;
  /** Position in decode order. */
  index: number;
}

interface CheckedWindow {
  frames: Frame[];
  /** Sorted by pts. */
  byPts: Frame[];
  /** Packets shown below this pts are all there (ticks, relative). */
  trustedUntil: number;
  /** The stream ended inside the window. */
  eof: boolean;
}

function checkWindow(window: PacketWindow, origin: number, frameTicks: number, marginTicks: number): CheckedWindow | string {
  const frames: Frame[] = window.packets.map((p, index) => ({ pts: p.pts - origin, dts: p.dts - origin, key: p.key, index }));
  if (frames.length === 0) return 'no video packets around the cut points';
  for (const [i, f] of frames.entries()) {
    if (!Number.isSafeInteger(f.pts) || !Number.isSafeInteger(f.dts)) return 'packets without timestamps';
    if (f.dts > f.pts) return 'a packet decodes after it is shown';
    if (i > 0 && f.dts <= frames[i - 1]!.dts) return 'decode timestamps do not increase';
  }
  // Frames shown before the first (key) packet belong to a GOP the window does not hold.
  const byPts = frames.filter((f) => f.pts >= frames[0]!.pts).sort((a, b) => a.pts - b.pts);
  // A constant frame rate is what lets frame counts, -ss and the concat durations line up.
  const tolerance = frameTolerance(frameTicks);
  for (let i = 1; i < byPts.length; i++) {
    if (Math.abs(byPts[i]!.pts - byPts[i - 1]!.pts - frameTicks) > tolerance) return 'variable frame rate near a cut point';
  }
  const trustedUntil = window.endTicks - origin - marginTicks;
  const lastPts = byPts[byPts.length - 1]!.pts;
  return { frames, byPts, trustedUntil, eof: lastPts < trustedUntil };
}

/**
 * Plans a smart cut: re-encode [first frame, first keyframe), stream-copy from that keyframe
 * up to the last point where decode order and display order agree (every packet before it
 * in the file is shown before every packet after it), and re-encode the rest up to `end`.
 * Pure: everything it needs comes from the probe windows.
 */
export function planSmartCut(input: SmartCutPlanInput): SmartCutPlan {
  const { timeBase: tb, frameRate: rate } = input;
  if (!(tb.num > 0 && tb.den > 0 && rate.num > 0 && rate.den > 0)) return unsupported('unknown time base or frame rate');
  if (!(input.end > input.start && input.start >= 0)) return unsupported('empty range');
  const ticksPerSec = tb.den / tb.num;
  const seconds = (ticks: number): number => (ticks * tb.num) / tb.den;
  const frameTicks = (ticksPerSec * rate.den) / rate.num;
  const marginTicks = REORDER_MARGIN_SEC * ticksPerSec;
  const tolerance = frameTolerance(frameTicks);

  const startWindow = checkWindow(input.startWindow, input.originTicks, frameTicks, marginTicks);
  if (typeof startWindow === 'string') return unsupported(startWindow);
  const endWindow = checkWindow(input.endWindow, input.originTicks, frameTicks, marginTicks);
  if (typeof endWindow === 'string') return unsupported(endWindow);

  const startTicks = (input.start - EPS_SEC) * ticksPerSec;
  const endTicks = (input.end - EPS_SEC) * ticksPerSec;

  // A window that begins later than one frame after a point may have missed frames before it.
  const covers = (w: CheckedWindow, ticks: number): boolean => w.byPts[0]!.pts - frameTicks + tolerance <= ticks;
  if (!covers(startWindow, startTicks)) return unsupported('the start window begins after start');
  if (!covers(endWindow, endTicks)) return unsupported('the end window begins after end');

  const first = startWindow.byPts.find((f) => f.pts >= startTicks);
  if (!first || first.pts > startWindow.trustedUntil) return unsupported('no frame at the start');

  const copyFrom = Math.max(first.pts, (input.copyFromTicks ?? Number.NEGATIVE_INFINITY) - input.originTicks);
  const keyframe = startWindow.byPts.find((f) => f.key && f.pts >= copyFrom && f.pts <= startWindow.trustedUntil);
  if (!keyframe || keyframe.pts >= endTicks) return unsupported('no keyframe inside the range, nothing to copy');
  const leading = startWindow.frames.some(
    (f) =>
      (f.index > keyframe.index && f.pts < keyframe.pts && input.leadingPictures !== 'reencode') ||
      (f.index < keyframe.index && f.pts > keyframe.pts),
  );
  if (leading) return unsupported(OPEN_GOP_REASON);

  // The end: the first frame at or after `end` (the first one not kept), or the end of the stream.
  const endFrame = endWindow.byPts.find((f) => f.pts >= endTicks);
  let stopPts: number;
  if (endFrame && endFrame.pts <= endWindow.trustedUntil) stopPts = endFrame.pts;
  else if (!endFrame && endWindow.eof) stopPts = endWindow.byPts[endWindow.byPts.length - 1]!.pts + frameTicks;
  else return unsupported('no frame at the end');
  const copyToEof = !endFrame;

  // Clean cut points in the end window: position i splits the packets into [0, i) and [i, n).
  let cut: { index: number; pts: number } | null = null;
  if (copyToEof) {
    cut = { index: endWindow.frames.length, pts: stopPts };
  } else {
    const n = endWindow.frames.length;
    const restMin: number[] = new Array<number>(n + 1).fill(Number.POSITIVE_INFINITY);
    for (let i = n - 1; i >= 0; i--) restMin[i] = Math.min(restMin[i + 1]!, endWindow.frames[i]!.pts);
    let prefixMax = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const frame = endWindow.frames[i]!;
      // Packets before the window are shown before its first keyframe, unless that keyframe has leading pictures.
      const clean = prefixMax < restMin[i]! && restMin[i]! >= endWindow.frames[0]!.pts && (i > 0 || frame.key);
      if (clean && restMin[i]! <= stopPts && restMin[i]! > keyframe.pts) cut = { index: i, pts: restMin[i]! };
      prefixMax = Math.max(prefixMax, frame.pts);
    }
  }
  if (!cut) return unsupported('no point before the end where the copy can stop');

  const dtsShiftTicks = keyframe.pts - keyframe.dts;
  let tailDtsShiftTicks = dtsShiftTicks;
  let stopAfter: number | null = null;
  if (!copyToEof) {
    const cutPacket = endWindow.frames[cut.index]!;
    const before = endWindow.frames[cut.index - 1];
    // With a tail, the last copied packet must decode before the tail's first (shifted) packet. Where
    // B-frames delay decoding more at the cut than at the first keyframe (x265's B-pyramids), the
    // tail's dts trail its pts by less: one frame after that packet's, or just after it.
    if (before && cut.pts < stopPts && before.dts >= cut.pts - dtsShiftTicks) {
      tailDtsShiftTicks = Math.max(0, Math.min(dtsShiftTicks, Math.floor(cut.pts - before.dts - frameTicks)));
    }
    const stopDts = before ? (before.dts + cutPacket.dts) / 2 : cutPacket.dts - frameTicks / 2;
    stopAfter = seconds(stopDts - keyframe.pts);
    if (stopAfter <= 0) return unsupported('the copied part would be empty');
  }

  const countFrames = (w: CheckedWindow, from: number, to: number): number => w.byPts.filter((f) => f.pts >= from && f.pts < to).length;
  const headFrames = countFrames(startWindow, first.pts, keyframe.pts);
  const tailFrames = countFrames(endWindow, cut.pts, stopPts);
  const half = frameTicks / 2;
  const head: EncodedPiece | null =
    headFrames > 0 ? { seekTo: Math.max(0, seconds(first.pts - half)), frames: headFrames, duration: seconds(keyframe.pts - first.pts) } : null;
  const tail: EncodedPiece | null =
    tailFrames > 0 ? { seekTo: seconds(cut.pts - half), frames: tailFrames, duration: seconds(stopPts - cut.pts) } : null;

  return {
    ok: true,
    firstFrame: seconds(first.pts),
    length: seconds(stopPts - first.pts),
    head,
    copy: {
      keyframe: seconds(keyframe.pts),
      stopAfter,
      duration: seconds(cut.pts - keyframe.pts),
    },
    tail,
    dtsShiftTicks,
    tailDtsShiftTicks,
    frameDuration: seconds(frameTicks),
  };
}
