import { describe, expect, it } from 'vitest';
import { COMMON_ARGS } from '../../../src/media/argv.js';
import { buildCleanCopyTrimArgs, buildSingleReadingCopyTrimArgs } from '../../../src/media/copy-trim-args.js';
import { planCopyTrim, type CopyTrimPlanInput } from '../../../src/media/copy-trim-plan.js';
import { MediaInputError } from '../../../src/media/errors.js';
import type { PacketInfo } from '../../../src/media/smart-cut-plan.js';

// 30 fps in a 1/15360 time base: 512 ticks a frame.
const F = 512;
const TB = { num: 1, den: 15360 };

/**
 * Packets of a 30 fps stream in decode order, GOPs of 30 frames, each after its I-frame coded in
 * mini-GOPs "P then the 3 B-frames before it" (pts order 1 2 3 | 4 …): dts one frame before pts for
 * the P/I-frames. With `openGop`, two leading B-frames of each GOP but the first follow its I-frame.
 */
function stream(frames: number, openGop = false): PacketInfo[] {
  const out: PacketInfo[] = [];
  let dts = -F;
  const push = (n: number, key = false): void => {
    out.push({ pts: n * F, dts, key });
    dts += F;
  };
  for (let gop = 0; gop * 30 < frames; gop++) {
    const i = gop * 30;
    push(i, true);
    if (openGop && gop > 0) {
      // Frames i-2 and i-1 were held back from the GOP before: they follow its I-frame.
      push(i - 2);
      push(i - 1);
    }
    const last = Math.min(i + 30, frames) - (openGop && i + 30 < frames ? 2 : 0);
    for (let p = i + 4; p < last + 3; p += 4) {
      const P = Math.min(p, last - 1);
      push(P);
      for (let b = P - 3; b < P; b++) if (b > i && b < P && !out.some((x) => x.pts === b * F)) push(b);
    }
  }
  return out;
}

function input(over: Partial<CopyTrimPlanInput> = {}, packets = stream(180)): CopyTrimPlanInput {
  return {
    start: 1.5,
    end: 3.1,
    timeBase: TB,
    frameSec: 1 / 30,
    firstPts: 0,
    origin: 0,
    startWindow: { packets, endTicks: 180 * F },
    endWindow: { packets, endTicks: 180 * F },
    ...over,
  };
}

describe('planCopyTrim', () => {
  it('when the range lies inside the stream, then the copy starts on the keyframe before start and ends on the first clean cut after end', () => {
    const plan = planCopyTrim(input());
    if (!plan.ok) throw new Error(plan.reason);
    expect(plan.keyframePts).toBe(30 * F);
    expect(plan.dropLeading).toBe(false);
    // Seek half a frame before the keyframe.
    expect(plan.seekTo).toBeCloseTo(1 - 1 / 60, 9);
    // Frame 92 is the last before 3.1 s; it is a B-frame of the mini-GOP P94 B91 B92 B93, kept whole.
    expect(plan.keptToSec * 30).toBeCloseTo(94, 6);
    // The cut falls between B93 and the next P-frame (98), halfway between their decode times.
    const packets = stream(180);
    const cutAt = packets.findIndex((p) => p.pts === 98 * F);
    expect(packets[cutAt - 1]!.pts).toBe(93 * F);
    const stopDts = (packets[cutAt - 1]!.dts + packets[cutAt]!.dts) / 2;
    expect(plan.seekTo + plan.readFor!).toBeCloseTo(stopDts / 15360, 9);
  });

  it('when the keyframe has leading pictures (open GOP), then they are marked to be dropped', () => {
    const plan = planCopyTrim(input({}, stream(180, true)));
    expect(plan.ok && [plan.dropLeading, plan.dropBefore]).toEqual([true, true]);
  });

  it('when the demuxer seeks exactly (mov, mp4), then the seek aims 1 ms past the keyframe and nothing is dropped', () => {
    const plan = planCopyTrim(input({ exactSeek: true }));
    if (!plan.ok) throw new Error(plan.reason);
    expect(plan.seekTo).toBeCloseTo(1.001, 9);
    expect(plan.dropBefore).toBe(false);
    // The end is where it was: the reading is counted from the later seek.
    const plain = planCopyTrim(input());
    expect(plain.ok && plan.seekTo + plan.readFor!).toBeCloseTo(plain.ok ? plain.seekTo + plain.readFor! : NaN, 9);
  });

  it('when the demuxer seeks exactly but the keyframe opens an open GOP, then its leading pictures are still dropped', () => {
    const plan = planCopyTrim(input({ exactSeek: true }, stream(180, true)));
    expect(plan.ok && [plan.dropLeading, plan.dropBefore]).toEqual([true, true]);
  });

  it('when the seek is not exact (MPEG-TS margin), then the packets before the keyframe are dropped', () => {
    const plan = planCopyTrim(input({ exactSeek: true, seekMarginSec: 1 }));
    expect(plan.ok && [plan.dropBefore, plan.seekTo]).toEqual([true, 0]);
  });

  it('when an IDR picture further back is given, then the copy starts there and drops nothing', () => {
    const plan = planCopyTrim(input({ keyframePts: 0 }, stream(180, true)));
    expect(plan.ok && [plan.keyframePts, plan.dropLeading, plan.seekTo]).toEqual([0, false, 0]);
  });

  it('when the range runs past the last frame, then the copy reads to the end', () => {
    const plan = planCopyTrim(input({ end: 7 }, stream(150)));
    expect(plan.ok && plan.readFor).toBeNull();
    expect(plan.ok && plan.keptToSec * 30).toBeCloseTo(149, 6);
  });

  it('when times count from a first frame after the file start (MPEG-TS), then start, end and the seek are moved by it', () => {
    const shifted = stream(180).map((p) => ({ ...p, pts: p.pts + 15360, dts: p.dts + 15360 }));
    const plan = planCopyTrim(input({ firstPts: 15360, origin: 0.9, startWindow: { packets: shifted, endTicks: 181 * F + 15360 }, endWindow: { packets: shifted, endTicks: 181 * F + 15360 } }));
    expect(plan.ok && plan.keptFromSec).toBeCloseTo(1, 9);
    // -ss counts from the file start (0.9 s): the keyframe sits at 2 s absolute.
    expect(plan.ok && plan.seekTo).toBeCloseTo(2 - 1 / 60 - 0.9, 9);
  });

  it('when the packets cannot tell, then it refuses and says why', () => {
    expect(planCopyTrim(input({ startWindow: { packets: [], endTicks: 0 } }))).toEqual({ ok: false, reason: 'no video packets around the cut points' });
    const late = stream(180).filter((p) => p.pts >= 40 * F);
    expect(planCopyTrim(input({ startWindow: { packets: late, endTicks: 180 * F } }))).toEqual({ ok: false, reason: 'no keyframe before the start in the listing' });
    expect(planCopyTrim(input({ endWindow: { packets: stream(100), endTicks: 180 * F } })).ok).toBe(true);
    expect(planCopyTrim(input({ endWindow: { packets: stream(96), endTicks: 96 * F } }))).toEqual({ ok: false, reason: 'no clean cut point after the end in the listing' });
  });
});

describe('buildCleanCopyTrimArgs', () => {
  it('when the audio is planned, then both readings keep the source clock and are placed by their first packet', () => {
    const args = buildCleanCopyTrimArgs({
      input: '/in.mp4', output: '/out.tmp', muxer: 'mp4', hasAudio: true,
      video: { seekTo: 0.983333, readFor: 2.1, firstPts: 15360 },
      audio: { seekTo: 0.99, readFor: 2.2, firstPts: 47104, leadTicks: 896 },
    });
    expect(args).toEqual([
      ...COMMON_ARGS, '-copyts',
      '-ss', '0.983333', '-t', '2.100000', '-i', '/in.mp4',
      '-ss', '0.990000', '-t', '2.200000', '-i', '/in.mp4',
      '-map', '0:v:0', '-map', '1:a', '-c', 'copy',
      '-bsf:v', 'noise=drop=lt(pts\\,15360),setts=pts=PTS-STARTPTS+0:dts=DTS-STARTPTS+0',
      '-bsf:a', 'noise=drop=lt(pts\\,47104),setts=pts=PTS-STARTPTS-896:dts=DTS-STARTPTS-896',
      '-f', 'mp4', '/out.tmp',
    ]);
  });

  it('when the audio reading would start before the file, then it reads from the start for as long; an audio packet after the frame is moved later', () => {
    const args = buildCleanCopyTrimArgs({
      input: '/in.mkv', output: '/out.tmp', muxer: 'matroska', hasAudio: true,
      video: { seekTo: 0, readFor: null, firstPts: 0 },
      audio: { seekTo: -0.01, readFor: 1, firstPts: 0, leadTicks: -5 },
    });
    expect(args.slice(COMMON_ARGS.length, COMMON_ARGS.length + 6)).toEqual(['-copyts', '-i', '/in.mkv', '-t', '0.990000', '-i']);
    expect(args).toContain('noise=drop=lt(pts\\,0),setts=pts=PTS-STARTPTS+5:dts=DTS-STARTPTS+5');
  });

  it('when the seek lands on the keyframe, then the video passes through no noise filter', () => {
    const args = buildCleanCopyTrimArgs({
      input: '/in.mp4', output: '/out.tmp', muxer: 'mp4', hasAudio: true,
      video: { seekTo: 1.001, readFor: 2.1, firstPts: 15360, dropBefore: false },
      audio: { seekTo: 0.99, readFor: 2.2, firstPts: 47104, leadTicks: 896 },
    });
    expect(args[args.indexOf('-bsf:v') + 1]).toBe('setts=pts=PTS-STARTPTS+0:dts=DTS-STARTPTS+0');
    expect(args[args.indexOf('-bsf:a') + 1]).toBe('noise=drop=lt(pts\\,47104),setts=pts=PTS-STARTPTS-896:dts=DTS-STARTPTS-896');
  });

  it('when no audio plan could be made, then the audio comes with the video and both are moved together', () => {
    const args = buildCleanCopyTrimArgs({
      input: '/in.mp4', output: '/out.tmp', muxer: 'mp4', hasAudio: true, video: { seekTo: 1, readFor: 2, firstPts: 15360 }, audio: null,
    });
    expect(args).toContain('0:a?');
    expect(args.slice(args.indexOf('-bsf:v'))).toEqual(['-bsf:v', 'noise=drop=lt(pts\\,15360)', '-avoid_negative_ts', 'make_zero', '-f', 'mp4', '/out.tmp']);
  });

  it('when given what it cannot use, then it throws a MediaInputError', () => {
    const base = { input: '/in.mp4', output: '/o', muxer: 'mp4', hasAudio: false, audio: null };
    expect(() => buildCleanCopyTrimArgs({ ...base, muxer: 'mp4 -i x', video: { seekTo: 0, readFor: 1, firstPts: 0 } })).toThrow(MediaInputError);
    expect(() => buildCleanCopyTrimArgs({ ...base, video: { seekTo: 0, readFor: 0, firstPts: 0 } })).toThrow(MediaInputError);
    expect(() => buildCleanCopyTrimArgs({ ...base, video: { seekTo: 0, readFor: 1, firstPts: 0.5 } })).toThrow(MediaInputError);
  });
});

describe('buildSingleReadingCopyTrimArgs', () => {
  it('when the seek lands on the keyframe, then one reading serves both streams, each ended by its own bound', () => {
    const args = buildSingleReadingCopyTrimArgs({
      input: '/in.mp4', output: '/out.tmp', muxer: 'mp4', seekTo: 1.001, readFor: 2.7,
      videoStopDts: 47360, audio: { firstPts: 47104, endPts: 148992, leadTicks: 896 },
    });
    expect(args).toEqual([
      ...COMMON_ARGS, '-copyts', '-ss', '1.001000', '-t', '2.700000', '-i', '/in.mp4',
      '-map', '0:v:0', '-map', '0:a:0', '-c', 'copy',
      '-bsf:v', 'noise=drop=gte(dts\\,47360),setts=pts=PTS-STARTPTS:dts=DTS-STARTPTS',
      '-bsf:a', 'noise=drop=lt(pts\\,47104)+gte(pts\\,148992),setts=pts=PTS-STARTPTS-896:dts=DTS-STARTPTS-896',
      '-f', 'mp4', '/out.tmp',
    ]);
  });

  it('when a bound is not a whole tick or the audio would be empty, then it throws a MediaInputError', () => {
    const base = { input: '/in.mp4', output: '/out.tmp', muxer: 'mp4', seekTo: 1, readFor: 2, videoStopDts: 10, audio: { firstPts: 0, endPts: 100, leadTicks: 0 } };
    expect(() => buildSingleReadingCopyTrimArgs({ ...base, videoStopDts: 10.5 })).toThrow(MediaInputError);
    expect(() => buildSingleReadingCopyTrimArgs({ ...base, audio: { firstPts: 100, endPts: 100, leadTicks: 0 } })).toThrow(MediaInputError);
  });
});
