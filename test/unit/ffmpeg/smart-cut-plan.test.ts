import { describe, expect, it } from 'vitest';
import {
  planSmartCut,
  probeWindows,
  type PacketInfo,
  type PacketWindow,
  type SmartCutPlan,
  type SmartCutPlanInput,
} from '../../../src/media/smart-cut-plan.js';

// 25 fps in a 1/12800 time base, as libx264 + the mp4 muxer write it.
const TB = { num: 1, den: 12800 };
const RATE = { num: 25, den: 1 };
const F = 512;

interface StreamShape {
  frames: number;
  gop: number;
  bframes: number;
  /** Leading B-frames after each keyframe but the first (an open GOP). */
  openGop?: boolean;
}

/**
 * Packets in decode order, the way x264 orders them: each anchor (I or P) comes before the
 * B-frames shown ahead of it; closed GOPs end on an anchor. dts trail by two frames with B-frames.
 */
function stream({ frames, gop, bframes, openGop = false }: StreamShape): PacketInfo[] {
  const delay = bframes > 0 ? 2 * F : 0;
  const order: { frame: number; key: boolean }[] = [];
  for (let g = 0; g < frames; g += gop) {
    const last = Math.min(g + gop, frames) - 1;
    const anchors: number[] = [g];
    for (let a = g + bframes + 1; a < last; a += bframes + 1) anchors.push(a);
    if (anchors[anchors.length - 1] !== last) anchors.push(last);
    if (openGop && g > 0) {
      // The keyframe comes first; the last B-frames of the previous GOP (shown before it) follow.
      const moved = order.splice(order.length - 2, 2);
      order.push({ frame: g, key: true }, ...moved);
    } else {
      order.push({ frame: g, key: true });
    }
    for (let k = 1; k < anchors.length; k++) {
      order.push({ frame: anchors[k]!, key: false });
      for (let b = anchors[k - 1]! + 1; b < anchors[k]!; b++) order.push({ frame: b, key: false });
    }
  }
  return order.map(({ frame, key }, i) => ({ pts: frame * F, dts: i * F - delay, key }));
}

/** What ffprobe -read_intervals from%to lists: from the keyframe at or before `from` to the first pts ≥ `to`. */
function window(packets: PacketInfo[], from: number, to: number): PacketWindow {
  const fromTicks = from * TB.den;
  const toTicks = to * TB.den;
  let begin = 0;
  packets.forEach((p, i) => {
    if (p.key && p.dts <= fromTicks) begin = i;
  });
  const out: PacketInfo[] = [];
  for (const p of packets.slice(begin)) {
    if (p.pts >= toTicks) break;
    out.push(p);
  }
  return { packets: out, endTicks: Math.round(toTicks) };
}

function plan(packets: PacketInfo[], start: number, end: number): SmartCutPlan {
  const windows = probeWindows(start, end).map(({ from, to }) => window(packets, from, to));
  const input: SmartCutPlanInput = {
    start,
    end,
    timeBase: TB,
    frameRate: RATE,
    originTicks: 0,
    startWindow: windows[0]!,
    endWindow: windows[windows.length - 1]!,
  };
  return planSmartCut(input);
}

function mustPlan(p: SmartCutPlan): Extract<SmartCutPlan, { ok: true }> {
  if (!p.ok) throw new Error(`expected a plan, got: ${p.reason}`);
  return p;
}

/** Frames the output will hold: re-encoded head and tail plus the copied keyframe-to-cut span. */
function totalFrames(p: Extract<SmartCutPlan, { ok: true }>): number {
  return (p.head?.frames ?? 0) + Math.round(p.copy.duration * 25) + (p.tail?.frames ?? 0);
}

const plain = stream({ frames: 300, gop: 50, bframes: 0 });
const withB = stream({ frames: 300, gop: 50, bframes: 2 });

describe('planSmartCut', () => {
  it('when start is on a keyframe, then nothing is re-encoded before the copy', () => {
    const p = mustPlan(plan(plain, 2, 5.5));
    expect(p.head).toBeNull();
    expect(p.copy.keyframe).toBe(2);
    expect(p.firstFrame).toBe(2);
    // Frames 2.00 … 5.48 s: the first one not kept is the first at or after 5.5.
    expect(p.length).toBeCloseTo(3.52, 9);
    expect(totalFrames(p)).toBe(88);
  });

  it('when start is just after a keyframe, then the head runs to the next keyframe', () => {
    const p = mustPlan(plan(plain, 2.03, 7));
    expect(p.firstFrame).toBeCloseTo(2.04, 9);
    expect(p.head).toEqual({ seekTo: expect.closeTo(2.02, 9), frames: 49, duration: expect.closeTo(1.96, 9) });
    expect(p.copy.keyframe).toBe(4);
    expect(totalFrames(p)).toBe(124);
  });

  it('when start is just before a keyframe, then the head is a single frame', () => {
    const p = mustPlan(plan(withB, 3.96, 6));
    expect(p.head?.frames).toBe(1);
    expect(p.copy.keyframe).toBe(4);
  });

  it('when start falls between two frames, then the first frame is the one after it', () => {
    const p = mustPlan(plan(plain, 2.99, 5));
    expect(p.firstFrame).toBeCloseTo(3, 9);
    expect(p.head?.frames).toBe(25);
  });

  it('when there are no B-frames, then the copy stops exactly at end and there is no tail', () => {
    const p = mustPlan(plan(plain, 3, 5.3));
    expect(p.tail).toBeNull();
    // Frames 3.00 … 5.28 s are kept: the copy runs from the keyframe at 4 s to 5.32 s, and as
    // dts = pts here, stops halfway between the last copied packet (5.28) and the next (5.32).
    expect(p.copy.duration).toBeCloseTo(1.32, 9);
    expect(p.copy.stopAfter).toBeCloseTo(1.3, 9);
    expect(totalFrames(p)).toBe(58);
  });

  it('when B-frames are reordered across end, then the tail is re-encoded from the last clean point', () => {
    const p = mustPlan(plan(withB, 2.5, 5.3));
    expect(p.tail).not.toBeNull();
    const copyEnd = p.copy.keyframe + p.copy.duration;
    expect(copyEnd).toBeLessThan(5.3);
    expect(p.tail!.seekTo).toBeCloseTo(copyEnd - 0.02, 9);
    expect(copyEnd + p.tail!.duration).toBeCloseTo(5.32, 9);
    expect(totalFrames(p)).toBe(70);
    expect(p.dtsShiftTicks).toBe(2 * F);
  });

  it('when B-frames are present, then the copy stops between the dts of the last copied and the first left-out packet', () => {
    const p = mustPlan(plan(withB, 2.5, 5.3));
    const copyEnd = Math.round((p.copy.keyframe + p.copy.duration) * TB.den);
    const keyTicks = p.copy.keyframe * TB.den;
    const stopTicks = keyTicks + p.copy.stopAfter! * TB.den;
    const firstLeftOut = withB.findIndex((pk) => pk.pts >= keyTicks && pk.pts >= copyEnd);
    const copied = withB.slice(withB.findIndex((pk) => pk.pts === keyTicks), firstLeftOut);
    expect(copied.every((pk) => pk.pts >= keyTicks && pk.pts < copyEnd)).toBe(true);
    expect(copied).toHaveLength(Math.round(p.copy.duration * 25));
    expect(copied[copied.length - 1]!.dts).toBeLessThan(stopTicks);
    expect(withB[firstLeftOut]!.dts).toBeGreaterThanOrEqual(stopTicks);
  });

  it('when end is on a keyframe, then the copy ends there without a tail, B-frames or not', () => {
    for (const packets of [plain, withB]) {
      const p = mustPlan(plan(packets, 1.5, 6));
      expect(p.tail).toBeNull();
      expect(p.copy.keyframe + p.copy.duration).toBeCloseTo(6, 9);
    }
  });

  it('when end is the end of the stream, then the copy runs to the end of the file', () => {
    const p = mustPlan(plan(withB, 9.1, 12));
    expect(p.copy.stopAfter).toBeNull();
    expect(p.tail).toBeNull();
    expect(p.length).toBeCloseTo(2.88, 9);
  });

  it('when the range lies inside one GOP, then there is nothing to copy', () => {
    expect(plan(withB, 2.1, 3.9)).toEqual({ ok: false, reason: 'no keyframe inside the range, nothing to copy' });
  });

  it('when the range ends on the first keyframe after start, then there is nothing to copy', () => {
    expect(plan(plain, 2.1, 4).ok).toBe(false);
  });

  it('when the GOP is open (B-frames shown before the keyframe follow it), then it refuses', () => {
    const open = stream({ frames: 300, gop: 50, bframes: 2, openGop: true });
    expect(plan(open, 2.5, 7.3)).toEqual({ ok: false, reason: 'open GOP at the first keyframe' });
  });

  it('when the frame rate varies near a cut point, then it refuses', () => {
    const vfr = plain.map((p) => (p.pts > 2.5 * TB.den ? { ...p, pts: p.pts + 100, dts: p.dts + 100 } : p));
    expect(plan(vfr, 2.2, 7)).toEqual({ ok: false, reason: 'variable frame rate near a cut point' });
  });

  it('when decode timestamps go backwards, then it refuses', () => {
    const broken = plain.map((p, i) => (i === 110 ? { ...p, dts: 0 } : p));
    expect(plan(broken, 2.5, 7).ok).toBe(false);
  });

  it('when the file starts at a non-zero time, then times count from the file start', () => {
    const origin = 1000 * F;
    const shifted = withB.map((p) => ({ ...p, pts: p.pts + origin, dts: p.dts + origin }));
    const windows = probeWindows(2.5, 5.3).map(({ from, to }) => window(shifted, from + origin / TB.den, to + origin / TB.den));
    const p = mustPlan(
      planSmartCut({ start: 2.5, end: 5.3, timeBase: TB, frameRate: RATE, originTicks: origin, startWindow: windows[0]!, endWindow: windows[windows.length - 1]! }),
    );
    expect(p.copy.keyframe).toBe(4);
    expect(totalFrames(p)).toBe(70);
  });
});

describe('probeWindows', () => {
  it('when the range is short, then one window covers both cut points', () => {
    expect(probeWindows(3, 8)).toEqual([{ from: 2, to: 9.5 }]);
  });

  it('when the range is long, then the start window stops after the keyframe search and the end window sits around end', () => {
    expect(probeWindows(10.5, 110.5)).toEqual([
      { from: 9.5, to: 32 },
      { from: 109.5, to: 112 },
    ]);
  });
});
