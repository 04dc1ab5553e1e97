import { COMMON_ARGS, formatSeconds, pathArg } from './argv.js';
import { MediaInputError } from './errors.js';

function assertMuxer(muxer: string): void {
  if (!/^[a-z0-9_]+$/.test(muxer)) throw new MediaInputError(`invalid muxer name: ${JSON.stringify(muxer)}`);
}

/** Where a copy trim reads one stream: input -ss (seconds from the file start) and input -t from there. */
export interface CopyReading {
  seekTo: number;
  /** null: to the end of the file. */
  readFor: number | null;
  /** Packets shown before this pts (ticks of the stream's time base, on the source's clock) are dropped. */
  firstPts: number;
  /**
   * False when the seek is known to land on the first packet to keep and none shown before it
   * follows: then nothing needs dropping, and the video's bytes need not pass through a filter
   * (the noise filter reads every byte it passes).
   */
  dropBefore?: boolean;
}

function readingArgs(input: string, r: CopyReading): string[] {
  if (!Number.isSafeInteger(r.firstPts)) throw new MediaInputError(`bad first pts ${r.firstPts}`);
  // A reading that would start before the file starts reads from its start, for as long.
  const seek = r.seekTo > 0 ? r.seekTo : 0;
  const readFor = r.readFor === null ? null : r.readFor + Math.min(0, r.seekTo);
  if (readFor !== null && !(readFor > 0)) throw new MediaInputError(`the reading must be positive, got ${readFor}`);
  return [
    ...(seek > 0 ? ['-ss', formatSeconds(seek)] : []),
    ...(readFor !== null ? ['-t', formatSeconds(readFor)] : []),
    '-i',
    pathArg(input),
  ];
}

/** Moves a stream's first packet to `at` ticks. */
function placeAt(at: number): string {
  if (!Number.isSafeInteger(at)) throw new MediaInputError(`bad start ${at}`);
  const shift = at >= 0 ? `+${at}` : `-${-at}`;
  return `setts=pts=PTS-STARTPTS${shift}:dts=DTS-STARTPTS${shift}`;
}

/** Drops what is shown before `firstPts` (inside a -bsf list a comma separates filters, hence the escaped one), then moves it to `at` ticks. */
function placeFilters(r: CopyReading, at: number): string {
  const place = placeAt(at);
  return r.dropBefore === false ? place : `noise=drop=lt(pts\\,${r.firstPts}),${place}`;
}

/**
 * A stream-copy trim cut cleanly at both ends (see planCopyTrim). Timestamps are kept as the source
 * has them (-copyts), because ffmpeg otherwise counts them from the earliest *used* stream, which is
 * not where -ss counts from when the audio starts first (MPEG-TS). So the cuts are absolute:
 * - the video is read from just before the keyframe; the noise filter drops every packet shown
 *   before it (the GOP before, and the keyframe's leading pictures, decoded after it but referring
 *   to that GOP), so the first packet left is the keyframe, which setts moves to t=0; input -t stops
 *   before the first packet whose decode time reaches the cut;
 * - with `audio`, a second reading of the source gives the packets planAudioCopy chose, the first
 *   placed `leadTicks` before the keyframe (in mp4/mov the edit list hides a lead exactly).
 * Without `audio` (no plan could be made), the audio is copied from the video's reading and both
 * are moved together so that the earliest packet starts at 0, which keeps them in sync.
 */
export function buildCleanCopyTrimArgs(p: {
  input: string;
  output: string;
  muxer: string;
  video: CopyReading;
  hasAudio: boolean;
  audio: (CopyReading & { leadTicks: number }) | null;
}): string[] {
  assertMuxer(p.muxer);
  const planned = p.hasAudio && p.audio !== null;
  return [
    ...COMMON_ARGS,
    '-copyts',
    ...readingArgs(p.input, p.video),
    ...(planned ? readingArgs(p.input, p.audio!) : []),
    '-map',
    '0:v:0',
    ...(planned ? ['-map', '1:a'] : p.hasAudio ? ['-map', '0:a?'] : []),
    '-c',
    'copy',
    ...(planned
      ? ['-bsf:v', placeFilters(p.video, 0), '-bsf:a', placeFilters(p.audio!, -p.audio!.leadTicks)]
      : [...(p.video.dropBefore === false ? [] : ['-bsf:v', `noise=drop=lt(pts\\,${p.video.firstPts})`]), '-avoid_negative_ts', 'make_zero']),
    '-f',
    p.muxer,
    pathArg(p.output),
  ];
}

export interface SingleReadingCopy {
  input: string;
  output: string;
  muxer: string;
  /** Input -ss: lands on the keyframe (see planCopyTrim's exactSeek). */
  seekTo: number;
  /** Input -t from seekTo: past both streams' ends. */
  readFor: number;
  /** Video packets decoded from this dts on (ticks, the source's clock) are dropped. */
  videoStopDts: number;
  /** The audio packets kept: shown from `firstPts` up to (not including) `endPts`; the first placed `leadTicks` before the keyframe. */
  audio: { firstPts: number; endPts: number; leadTicks: number };
}

/**
 * The copy trim read once, for a source whose seek lands on the keyframe (mp4, mov): each stream
 * ends by its own bound in a filter, both on one reading. (Input -t would end both at one decode
 * time, and -frames:v ends every stream of the output with the video.) Half the reading of
 * buildCleanCopyTrimArgs's two.
 */
export function buildSingleReadingCopyTrimArgs(p: SingleReadingCopy): string[] {
  assertMuxer(p.muxer);
  const { firstPts, endPts, leadTicks } = p.audio;
  if (![p.videoStopDts, firstPts, endPts, leadTicks].every(Number.isSafeInteger) || endPts <= firstPts) throw new MediaInputError('bad stream bounds');
  return [
    ...COMMON_ARGS,
    '-copyts',
    ...readingArgs(p.input, { seekTo: p.seekTo, readFor: p.readFor, firstPts: 0 }),
    '-map',
    '0:v:0',
    '-map',
    '0:a:0',
    '-c',
    'copy',
    '-bsf:v',
    `noise=drop=gte(dts\\,${p.videoStopDts}),setts=pts=PTS-STARTPTS:dts=DTS-STARTPTS`,
    '-bsf:a',
    `noise=drop=lt(pts\\,${firstPts})+gte(pts\\,${endPts}),${placeAt(-leadTicks)}`,
    '-f',
    p.muxer,
    pathArg(p.output),
  ];
}
