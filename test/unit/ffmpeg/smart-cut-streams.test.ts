import { describe, expect, it } from 'vitest';
import { outpointKeepsVideo, planAudioCopy, type AudioCopyInput, type StreamPacket } from '../../../src/media/smart-cut-streams.js';

const AUDIO_TB = { num: 1, den: 48000 };
const VIDEO_TB = { num: 1, den: 15360 };
const PD = 1024;

function audio(fromPacket: number, toPacket: number, stream = 1): StreamPacket[] {
  const out: StreamPacket[] = [];
  for (let k = fromPacket; k < toPacket; k++) out.push({ stream, pts: k * PD, dts: k * PD, duration: PD, key: true, discard: false });
  return out;
}

/** AAC at 48 kHz, packets k·1024, listed around 121.5 s and around 421.5 s (as the two probe windows would). */
function input(over: Partial<AudioCopyInput> = {}): AudioCopyInput {
  return {
    codec: 'aac',
    timeBase: AUDIO_TB,
    listings: [audio(5600, 6200), audio(19700, 19800)],
    from: 121.5,
    to: 421.5,
    origin: 0,
    frameSec: 1 / 25,
    ...over,
  };
}

describe('planAudioCopy', () => {
  it('when the audio is AAC, then the copy starts on the packet playing at the first frame and ends on the last boundary before the end', () => {
    const plan = planAudioCopy(input());
    if (!plan.ok) throw new Error(plan.reason);
    // 121.5 s = sample 5 832 000, inside packet 5695 (5 831 680 … 5 832 704): it leads by 320 samples.
    expect(plan.audio.leadTicks).toBe(320);
    // -ss halfway between packets 5694 and 5695; 421.5 s (sample 20 232 000) lies in packet 19757, whose
    // start is 832 samples (17 ms, under a 40 ms frame) before it: the copy ends with 19756, -t halfway to 19757.
    expect(plan.audio.seekTo).toBeCloseTo((5695 * PD - 512) / 48000, 9);
    expect(plan.audio.seekTo + plan.audio.readFor).toBeCloseTo((19756 * PD + 512) / 48000, 9);
  });

  it('when ending on the boundary before the end would leave the audio a frame short (60 fps), then it ends on the packet after', () => {
    const plan = planAudioCopy(input({ frameSec: 1 / 60 }));
    expect(plan.ok && plan.audio.seekTo + plan.audio.readFor).toBeCloseTo((19757 * PD + 512) / 48000, 9);
  });

  it('when the output has no edit list (start: nearest), then the first packet is the one starting less than a frame after the first frame', () => {
    const plan = planAudioCopy(input({ start: 'nearest' }));
    // Packet 5696 starts 704 samples (15 ms) after 121.5 s.
    expect(plan.ok && plan.audio.leadTicks).toBe(-704);
    expect(plan.ok && plan.audio.seekTo).toBeCloseTo((5696 * PD - 512) / 48000, 9);
    // At 120 fps 15 ms is more than a frame: the packet playing at the first frame is kept.
    const fast = planAudioCopy(input({ start: 'nearest', frameSec: 1 / 120 }));
    expect(fast.ok && fast.audio.leadTicks).toBe(320);
  });

  it('when packets lack a duration (matroska), then each runs to the next one', () => {
    const bare = (from: number, to: number): StreamPacket[] => audio(from, to).map((p) => ({ ...p, duration: null }));
    const plan = planAudioCopy(input({ listings: [bare(5600, 6200), bare(19700, 19800)], anyCodec: true, codec: 'opus' }));
    expect(plan.ok && plan.audio.leadTicks).toBe(320);
  });

  it('when the first frame falls on a packet boundary, then that packet starts with it', () => {
    const plan = planAudioCopy(input({ from: (5695 * PD) / 48000 }));
    expect(plan.ok && plan.audio.leadTicks).toBe(0);
  });

  it('when the file starts late, then -ss counts from its start', () => {
    const plan = planAudioCopy(input({ origin: 1.5 }));
    expect(plan.ok && plan.audio.seekTo).toBeCloseTo((5695 * PD - 512) / 48000 - 1.5, 9);
  });

  it('when the cut starts at the first packet, then seekTo lies before the file start, whatever priming packet precedes it', () => {
    const priming: StreamPacket = { stream: 1, pts: -PD, dts: -PD, duration: PD, key: true, discard: true };
    const plan = planAudioCopy(input({ listings: [[priming, ...audio(0, 200)], audio(19700, 19800)], from: 0 }));
    expect(plan.ok && plan.audio.seekTo).toBeCloseTo(-512 / 48000, 9);
    expect(plan.ok && plan.audio.leadTicks).toBe(0);
  });

  it('when the windows overlap, then packets listed twice count once', () => {
    const plan = planAudioCopy(input({ listings: [audio(5600, 6200), audio(5650, 6300)], to: 125 }));
    expect(plan.ok).toBe(true);
  });

  it('when the audio is not AAC, then it is left to the re-encode', () => {
    expect(planAudioCopy(input({ codec: 'mp3' }))).toEqual({ ok: false, reason: 'audio codec mp3 is not AAC' });
    expect(planAudioCopy(input({ codec: 'opus' })).ok).toBe(false);
  });

  it('when no packet plays at the first frame or at the end, then it is left to the re-encode', () => {
    expect(planAudioCopy(input({ listings: [audio(5700, 6200), audio(19700, 19800)] }))).toEqual({
      ok: false,
      reason: 'no audio packet at the first frame',
    });
    expect(planAudioCopy(input({ listings: [audio(5600, 6200), audio(19700, 19750)] }))).toEqual({ ok: false, reason: 'no audio packet at the end' });
  });

  it('when the timestamps are missing, out of order or overlapping, then it is left to the re-encode', () => {
    const broken = audio(5600, 6200);
    broken[10] = { ...broken[10]!, dts: null };
    expect(planAudioCopy(input({ listings: [broken, audio(19700, 19800)] })).ok).toBe(false);
    const reordered = audio(5600, 6200);
    [reordered[10], reordered[11]] = [reordered[11]!, reordered[10]!];
    expect(planAudioCopy(input({ listings: [reordered, audio(19700, 19800)] })).ok).toBe(false);
    const long = audio(5600, 6200).map((p, i) => (i === 50 ? { ...p, duration: 2 * PD } : p));
    expect(planAudioCopy(input({ listings: [long, audio(19700, 19800)] }))).toEqual({ ok: false, reason: 'audio packets overlap' });
    expect(planAudioCopy(input({ timeBase: null })).ok).toBe(false);
  });
});

describe('outpointKeepsVideo', () => {
  const TBS = [VIDEO_TB, AUDIO_TB];
  const v = (dts: number): StreamPacket => ({ stream: 0, pts: dts + 1024, dts, duration: 512, key: false, discard: false });
  const a = (dts: number): StreamPacket => ({ stream: 1, pts: dts, dts, duration: PD, key: true, discard: false });
  // Outpoint 10 s: video dts 153 600, audio dts 480 000.
  const OUT = 10_000_000;

  it('when the packets are stored in dts order, then the video stops exactly at the outpoint', () => {
    const listing = [v(153_088), a(479_232), v(153_600), a(480_256), v(154_112)];
    expect(outpointKeepsVideo(listing, 0, TBS, OUT)).toBe(true);
  });

  it('when an audio packet past the outpoint is stored before the last video packets below it, then it is refused', () => {
    const listing = [v(152_576), a(480_256), v(153_088), v(153_600)];
    expect(outpointKeepsVideo(listing, 0, TBS, OUT)).toBe(false);
  });

  it('when the listing ends before any video packet reaches the outpoint, then it cannot tell and refuses', () => {
    expect(outpointKeepsVideo([v(152_576), v(153_088), a(480_256)], 0, TBS, OUT)).toBe(false);
  });

  it('when a packet sits exactly on the outpoint, then it reaches it, as in the demuxer', () => {
    expect(outpointKeepsVideo([v(153_088), a(480_000), v(153_600)], 0, TBS, OUT)).toBe(true);
    expect(outpointKeepsVideo([v(153_088), a(479_999), v(153_599), v(153_600)], 0, TBS, OUT)).toBe(true);
  });

  it('when a stream of unknown time base comes before the stop, then it refuses', () => {
    const data: StreamPacket = { stream: 2, pts: 5, dts: 5, duration: 1, key: true, discard: false };
    expect(outpointKeepsVideo([v(153_088), data, v(153_600)], 0, TBS, OUT)).toBe(false);
    // Packets without a dts never trigger the outpoint.
    expect(outpointKeepsVideo([v(153_088), { ...data, dts: null }, v(153_600)], 0, TBS, OUT)).toBe(true);
  });
});
