import { describe, expect, it } from 'vitest';
import type { MediaInfo } from '../../../src/media/media-info.js';
import { fromFirstKeyframe, withDerivedDts, withoutDiscardedVideo } from '../../../src/media/smart-cut-listing.js';
import { planSmartCut, probeWindows, type PacketInfo } from '../../../src/media/smart-cut-plan.js';
import { smartCutRoute } from '../../../src/media/smart-cut-remux.js';
import type { StreamPacket } from '../../../src/media/smart-cut-streams.js';

const packet = (stream: number, pts: number, dts: number | null, flags = ''): StreamPacket => ({
  stream,
  pts,
  dts,
  duration: null,
  key: flags.includes('K'),
  discard: flags.includes('D'),
});

describe('withDerivedDts', () => {
  it('when the first video packets after a Matroska seek have no dts, then they get one a frame apart before the first known one', () => {
    const listing = [packet(0, 1021, null, 'K'), packet(1, 960, 960, 'K'), packet(0, 1121, null), packet(0, 1054, 1021), packet(0, 1088, 1054)];
    const derived = withDerivedDts(listing, 0, 1000 / 30);
    expect(derived.map((p) => p.dts)).toEqual([954, 960, 988, 1021, 1054]);
  });

  it('when every packet has a dts, then the listing is unchanged', () => {
    const listing = [packet(0, 0, -1024, 'K'), packet(0, 1024, -512)];
    expect(withDerivedDts(listing, 0, 512)).toBe(listing);
  });
});

describe('listing fix-ups', () => {
  it('when an edit list starts inside a GOP, then the video packets it discards are left out, the audio kept', () => {
    const listing = [packet(0, -7680, -8704, 'KD'), packet(1, -100, -100, 'KD'), packet(0, 512, -1536), packet(0, -512, -1024, 'D'), packet(0, 15360, 14336, 'K')];
    expect(withoutDiscardedVideo(listing, 0).map((p) => p.pts)).toEqual([-100, 512, 15360]);
  });

  it('when a listing starts on a packet that is no keyframe, then the video before the first keyframe is left out', () => {
    const listing = [packet(0, 222000, 219000), packet(1, 220000, 220000, 'K'), packet(0, 234000, 222000), packet(0, 252000, 246000, 'K'), packet(0, 261000, 249000)];
    expect(fromFirstKeyframe(listing, 0).map((p) => p.pts)).toEqual([220000, 252000, 261000]);
  });
});

describe('smartCutRoute', () => {
  const info = (container: string, audioCodec: string | null): MediaInfo => ({ container, audio: audioCodec ? { codec: audioCodec } : null }) as unknown as MediaInfo;

  it.each([
    ['mp4', 'aac', { via: 'direct' }],
    ['mov', null, { via: 'direct' }],
    ['matroska', 'aac', { via: 'remux' }],
    ['mpegts', 'mp2', { via: 'remux' }],
    ['matroska', 'vorbis', { via: 'none', reason: 'audio codec vorbis cannot be copied into mp4' }],
    ['flv', 'aac', { via: 'none', reason: 'container flv is not mp4, mov, matroska or mpegts' }],
  ])('when the source is %s with %s audio, then the route is %j', (container, audio, route) => {
    expect(smartCutRoute(info(container, audio))).toEqual(route);
  });
});

describe('planSmartCut with copyFromTicks', () => {
  // 25 fps in 1/12800, no B-frames, a keyframe every second.
  const F = 512;
  const packets: PacketInfo[] = Array.from({ length: 250 }, (_, i) => ({ pts: i * F, dts: i * F, key: i % 25 === 0 }));
  const windowOf = (from: number, to: number) => {
    const begin = Math.floor(from) * 25;
    return { packets: packets.slice(begin).filter((p) => p.pts < to * 12800), endTicks: Math.round(to * 12800) };
  };

  it('when the copy may not start before an IDR picture at 3 s, then the head runs from the first frame to it', () => {
    const [startWindow] = probeWindows(1.2, 5.5).map(({ from, to }) => windowOf(from, to));
    const plan = planSmartCut({
      start: 1.2, end: 5.5, timeBase: { num: 1, den: 12800 }, frameRate: { num: 25, den: 1 }, originTicks: 0,
      startWindow: startWindow!, endWindow: startWindow!, copyFromTicks: 3 * 12800,
    });
    expect(plan.ok && { keyframe: plan.copy.keyframe, head: plan.head }).toEqual({ keyframe: 3, head: { seekTo: expect.closeTo(1.18, 9), frames: 45, duration: expect.closeTo(1.8, 9) } });
  });
});
