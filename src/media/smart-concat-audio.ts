import { formatSeconds } from './argv.js';
import { MediaInputError } from './errors.js';

/** Samples an AAC LC packet decodes to. */
export const AAC_FRAME_SAMPLES = 1024;

/**
 * Where the concat demuxer starts each file after the first (s): the sum of the list's durations
 * before it, each taken to the microsecond as the list writes it.
 */
export function joinTimesSec(durationsSec: readonly number[]): number[] {
  const micros = durationsSec.map((d) => Math.round(d * 1e6));
  return micros.slice(0, -1).map((_, i) => micros.slice(0, i + 1).reduce((a, b) => a + b, 0) / 1e6);
}

/**
 * Audio bitstream filter for a smart-concat join that keeps every join's sound from overlapping.
 * Each file after the first brings its AAC priming packet (decoded to discardable samples, which
 * the stream copy would play) one AAC frame before its first sample, at the join; and the file
 * before ends on a packet that reaches past the join (its padding). Both start within one AAC frame
 * before the join and end after it (the priming packet at it): dropping them leaves the next file's
 * first real packet exactly at the join, after a gap of less than one AAC frame.
 */
export function joinAudioDropArgs(joins: readonly number[], sampleRate: number): string[] {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new MediaInputError(`bad sample rate ${sampleRate}`);
  if (joins.length === 0) return [];
  const frameSec = AAC_FRAME_SAMPLES / sampleRate;
  // The priming packet sits one frame before the join, give or take the rounding of the file's offset to a tick.
  const early = frameSec + 0.0005;
  // The next file's first packet is at the join to a tick: anything starting 1.5 ticks before it reaches past it.
  const late = 1.5 / sampleRate;
  const windows = joins.map((j) => {
    if (!Number.isFinite(j) || j <= early) throw new MediaInputError(`bad join time ${j}`);
    return `between(pts*tb\\,${formatSeconds(j - early)}\\,${formatSeconds(j - late)})`;
  });
  return ['-bsf:a', `noise=drop=${windows.join('+')}`];
}
