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
}

export type AudioCopyPlan = { ok: true; audio: Extract<JoinAudio, { mode: 'copy' }> } | { ok: false; reason: string };

type AudioPacket = { pts: number; duration: number };

function refuse(reason: string): AudioCopyPlan {
  return { ok: false, reason };
}

/**
 * Decides whether the join can copy the source's audio packets instead of re-encoding them, and
 * which ones: from the packet playing at the first frame to the one playing at the end of the last
 * frame. The first packet starts up to one packet before the first frame (the mp4 muxer's edit list
 * hides the lead, so sync is exact), and the audio ends less than one packet after the video.
 * Pure: everything comes from the probe listings.
 */
export function planAudioCopy(input: AudioCopyInput): AudioCopyPlan {
  // The output is mp4, and AAC is the audio codec this service writes there.
  if (input.codec !== 'aac') return refuse(`audio codec ${input.codec} is not AAC`);
  const tb = input.timeBase;
  if (!tb || !(tb.num > 0 && tb.den > 0)) return refuse('unknown audio time base');

  const byPts = new Map<number, AudioPacket>();
  for (const listing of input.listings) {
    let lastDts = Number.NEGATIVE_INFINITY;
    for (const p of listing) {
      if (p.pts === null || p.dts === null || p.duration === null) return refuse('audio packets without timestamps');
      if (p.dts !== p.pts || p.duration <= 0 || p.dts <= lastDts) return refuse('audio timestamps out of order');
      lastDts = p.dts;
      // Packets the demuxer marks to be discarded (e.g. encoder priming) would be dropped again on copy.
      if (!p.discard) byPts.set(p.pts, { pts: p.pts, duration: p.duration });
    }
  }
  const packets = [...byPts.values()].sort((a, b) => a.pts - b.pts);
  for (let i = 1; i < packets.length; i++) {
    if (packets[i - 1]!.pts + packets[i - 1]!.duration > packets[i]!.pts) return refuse('audio packets overlap');
  }

  const ticks = (seconds: number): number => Math.round((seconds * tb.den) / tb.num);
  const seconds = (t: number): number => (t * tb.num) / tb.den;
  const fromTicks = ticks(input.from);
  const toTicks = ticks(input.to);
  const first = packets.findIndex((p) => p.pts <= fromTicks && fromTicks < p.pts + p.duration);
  const last = packets.findIndex((p) => p.pts < toTicks && toTicks <= p.pts + p.duration);
  if (first < 0) return refuse('no audio packet at the first frame');
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
    audio: { mode: 'copy', seekTo, readFor: seconds(endCut - startCut), leadTicks: fromTicks - P0.pts },
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
