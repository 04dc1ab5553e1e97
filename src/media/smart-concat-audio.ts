import { formatSeconds, pathArg } from './argv.js';
import { MediaInputError } from './errors.js';

/** Samples an AAC LC packet decodes to. */
export const AAC_FRAME_SAMPLES = 1024;
/** More packets than any encoder's priming takes (ffmpeg's: one, Apple's 2112 samples: two and a part). */
const LEADING_PACKETS = 8;

/**
 * Where the concat demuxer starts each file after the first (s): the sum of the list's durations
 * before it, each taken to the microsecond as the list writes it.
 */
export function joinTimesSec(durationsSec: readonly number[]): number[] {
  const micros = durationsSec.map((d) => Math.round(d * 1e6));
  return micros.slice(0, -1).map((_, i) => micros.slice(0, i + 1).reduce((a, b) => a + b, 0) / 1e6);
}

/** `ffprobe` (JSON) of the first audio packets, as the demuxer hands them over (edit list applied: priming before 0). */
export function buildLeadingAudioPacketsArgs(input: string): string[] {
  return ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'packet=pts_time,duration_time', '-read_intervals', `%+#${LEADING_PACKETS}`, '-of', 'json', pathArg(input)];
}

/**
 * The start times (s, on the file's clock) of its priming packets: those that end by its first
 * sample (time 0), all of whose samples a decoder discards at the start of a file.
 */
export function parsePrimingPackets(json: unknown): number[] {
  const packets = typeof json === 'object' && json !== null && Array.isArray((json as { packets?: unknown }).packets) ? (json as { packets: unknown[] }).packets : [];
  const priming: number[] = [];
  for (const packet of packets) {
    if (typeof packet !== 'object' || packet === null) continue;
    const { pts_time: pts, duration_time: duration } = packet as Record<string, unknown>;
    const start = typeof pts === 'string' ? Number(pts) : NaN;
    const length = typeof duration === 'string' ? Number(duration) : NaN;
    // To the microsecond ffprobe prints: a packet ending at 0 is priming.
    if (Number.isFinite(start) && Number.isFinite(length) && start + length <= 1e-6) priming.push(start);
  }
  return priming;
}

export interface AudioJoin {
  /** Where the next file starts (s). */
  atSec: number;
  /** Its priming packets' start times on its own clock (parsePrimingPackets). */
  primingSec: number[];
}

/**
 * Audio bitstream filter for a smart-concat join that keeps every join's sound from overlapping.
 * Each file after the first brings its AAC priming packets (decoded to samples a decoder discards
 * only at a file's start: mid-stream they would be played) before the join, and the file before
 * ends on a packet that reaches past it (its padding). Dropping both (by their times, to a tick and
 * a half) leaves the next file's first real packet at the join, after a gap of at most one AAC frame.
 */
export function joinAudioDropArgs(joins: readonly AudioJoin[], sampleRate: number): string[] {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new MediaInputError(`bad sample rate ${sampleRate}`);
  if (joins.length === 0) return [];
  const frameSec = AAC_FRAME_SAMPLES / sampleRate;
  const slack = 1.5 / sampleRate;
  const window = (from: number, to: number): string => {
    if (!Number.isFinite(from) || from < 0 || !(to > from)) throw new MediaInputError(`bad audio join window ${from}..${to}`);
    return `between(pts*tb\\,${formatSeconds(from)}\\,${formatSeconds(to)})`;
  };
  const windows = joins.flatMap(({ atSec: j, primingSec }) => [
    // The packet before that starts within the last frame before the join reaches past it.
    window(j - frameSec + slack, j - slack),
    ...primingSec.map((p) => window(j + p - slack, j + p + slack)),
  ]);
  return ['-bsf:a', `noise=drop=${windows.join('+')}`];
}
