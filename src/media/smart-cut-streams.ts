import type { Fraction } from './argv.js';
import type { JoinAudio } from './smart-cut-args.js';

/** One packet of any stream as ffprobe lists it (timestamps in that stream's time-base ticks; null for N/A). */
export interface StreamPacket {
  stream: number;
  pts: number | null;
  dts: number | null;
  duration: number | null;
  key: boolean;
  discard: boolean;
}

export interface AudioCopyInput {
  /** The audio stream's codec name, as ffprobe gives it. */
  codec: string;
  timeBase: Fraction | null;
  /** The audio stream's packets from each probe listing, in the order they were read. */
  listings: StreamPacket[][];
  /** Absolute time (seconds, the streams' own clock) of the first output frame. */
  from: number;
  /** Absolute time of the end of the last output frame. */
  to: number;
  /** The file's start time: ffmpeg's -ss counts from there. */
  origin: number;
  /** One video frame, seconds: how far the audio may end from the video (and, with `start: 'nearest'`, start). */
  frameSec: number;
  /**
   * 'lead' (mp4/mov outputs, whose edit list hides the lead): the first packet is the one playing at
   * the first frame. 'nearest' (containers without edit lists): the first packet starts on the packet
   * boundary at or after the first frame when that is less than a frame late, else the one before.
   */
  start?: 'lead' | 'nearest';
  /** Codecs the output can take as they are; the default is AAC only (the smart cut's mp4). */
  anyCodec?: boolean;
}

export type AudioCopyPlan = { ok: true; audio: Extract<JoinAudio, { mode: 'copy' }> } | { ok: false; reason: string };

type AudioPacket = { pts: number; duration: number | null };

function refuse(reason: string): AudioCopyPlan {
  return { ok: false, reason };
}

/** The packets of every listing once each, in pts order, each with a duration (a missing one runs to the next packet). */
function audioTimeline(listings: StreamPacket[][]): { pts: number; duration: number }[] | string {
  const byPts = new Map<number, AudioPacket>();
  for (const listing of listings) {
    let lastDts = Number.NEGATIVE_INFINITY;
    for (const p of listing) {
      if (p.pts === null || p.dts === null) return 'audio packets without timestamps';
      if (p.dts !== p.pts || (p.duration !== null && p.duration <= 0) || p.dts <= lastDts) return 'audio timestamps out of order';
      lastDts = p.dts;
      // Packets the demuxer marks to be discarded (e.g. encoder priming) would be dropped again on copy.
      if (!p.discard) byPts.set(p.pts, { pts: p.pts, duration: p.duration ?? byPts.get(p.pts)?.duration ?? null });
    }
  }
  const sorted = [...byPts.values()].sort((a, b) => a.pts - b.pts);
  const packets: { pts: number; duration: number }[] = [];
  for (const [i, p] of sorted.entries()) {
    // Matroska stores most audio blocks without a duration.
    const duration = p.duration ?? (sorted[i + 1] ? sorted[i + 1]!.pts - p.pts : null);
    if (duration === null) break;
    packets.push({ pts: p.pts, duration });
  }
  for (let i = 1; i < packets.length; i++) {
    if (packets[i - 1]!.pts + packets[i - 1]!.duration > packets[i]!.pts) return 'audio packets overlap';
  }
  return packets;
}

/**
 * Decides whether the audio packets can be copied instead of re-encoded, and which ones: from the
 * packet playing at the first frame (see `start`) to the last one that ends at or before the end of
 * the last frame, or the one after it when stopping there would leave the audio a frame or more
 * short. So the audio ends within one frame of the video, and after it only when it must (then by
 * less than a packet minus a frame): a file's duration stays its video's wherever the packets allow.
 * Pure: everything comes from the probe listings.
 */
export function planAudioCopy(input: AudioCopyInput): AudioCopyPlan {
  // The smart cut writes mp4, and AAC is the audio codec this service writes there.
  if (!input.anyCodec && input.codec !== 'aac') return refuse(`audio codec ${input.codec} is not AAC`);
  const tb = input.timeBase;
  if (!tb || !(tb.num > 0 && tb.den > 0)) return refuse('unknown audio time base');
  const packets = audioTimeline(input.listings);
  if (typeof packets === 'string') return refuse(packets);

  const ticks = (seconds: number): number => Math.round((seconds * tb.den) / tb.num);
  const seconds = (t: number): number => (t * tb.num) / tb.den;
  const fromTicks = ticks(input.from);
  const toTicks = ticks(input.to);
  const frameTicks = (input.frameSec * tb.den) / tb.num;
  const end = (p: { pts: number; duration: number }): number => p.pts + p.duration;
  let first = packets.findIndex((p) => p.pts <= fromTicks && fromTicks < end(p));
  if (first < 0) return refuse('no audio packet at the first frame');
  if (input.start === 'nearest' && packets[first]!.pts < fromTicks) {
    const next = packets[first + 1];
    if (next && next.pts - fromTicks < frameTicks) first += 1;
  }
  let last = packets.findIndex((p) => p.pts < toTicks && toTicks <= end(p));
  if (last < 0) return refuse('no audio packet at the end');
  if (end(packets[last]!) > toTicks && last > first && toTicks - end(packets[last - 1]!) < frameTicks) last -= 1;
  if (last < first) return refuse('no audio packet at the end');

  // Cut halfway between neighbouring packets, so the µs rounding of -ss and -t cannot tip either way.
  const P0 = packets[first]!;
  const before = packets[first - 1];
  const startCut = before ? (before.pts + P0.pts) / 2 : P0.pts - P0.duration / 2;
  const Pn = packets[last]!;
  const after = packets[last + 1];
  const endCut = after ? (Pn.pts + after.pts) / 2 : Pn.pts + Pn.duration / 2;

  const seekTo = seconds(startCut) - input.origin;
  return {
    ok: true,
    audio: { mode: 'copy', seekTo, readFor: seconds(endCut - startCut), leadTicks: fromTicks - P0.pts, firstPts: P0.pts },
  };
}

/**
 * Whether the concat demuxer, reading the source from a keyframe and told to stop at
 * `outpointMicros` (absolute), passes on exactly the video packets whose dts lies below it. It
 * stops at the first packet of any stream whose dts reaches the outpoint, so an audio (or other)
 * packet stored ahead of the last video packets before the outpoint would cut the video short.
 * `listing` is every stream's packets around the outpoint in the order the demuxer reads them.
 */
export function outpointKeepsVideo(
  listing: StreamPacket[],
  videoIndex: number,
  timeBases: readonly (Fraction | null)[],
  outpointMicros: number,
): boolean {
  if (!Number.isSafeInteger(outpointMicros)) return false;
  let unknown = false;
  // Exact, like av_compare_ts: dts · num / den ≥ outpoint / 1e6.
  const reaches = (p: StreamPacket): boolean => {
    if (p.dts === null) return false;
    const tb = timeBases[p.stream];
    if (!tb) {
      unknown = true;
      return false;
    }
    return BigInt(p.dts) * BigInt(tb.num) * 1_000_000n >= BigInt(outpointMicros) * BigInt(tb.den);
  };
  const stopAt = listing.findIndex(reaches);
  if (unknown || stopAt < 0) return false;
  let videoReached = false;
  for (const p of listing.slice(stopAt)) {
    if (p.stream !== videoIndex) continue;
    if (!reaches(p)) return false;
    videoReached = true;
  }
  // Video packets come in decode order, so none before the outpoint can follow one past it.
  return videoReached;
}
