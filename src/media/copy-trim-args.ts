import { COMMON_ARGS, formatSeconds, pathArg } from './argv.js';
import { MediaInputError } from './errors.js';
import { audioCodecArgs, audioInputArgs, type JoinAudio } from './smart-cut-args.js';

function assertMuxer(muxer: string): void {
  if (!/^[a-z0-9_]+$/.test(muxer)) throw new MediaInputError(`invalid muxer name: ${JSON.stringify(muxer)}`);
}

/**
 * A stream-copy trim cut cleanly at both ends (see planCopyTrim). The video is read from just
 * before the keyframe: `-copypriorss:v 0` drops every packet shown before the seek point up to the
 * keyframe, the noise filter drops its leading pictures (shown before it, decoded after it; the
 * first packet the filter sees is the keyframe), and input `-t` stops before the first packet whose
 * decode time reaches the cut. The keyframe is moved to t=0.
 *
 * With `audio` the audio comes from a second reading of the source, its packets chosen by
 * planAudioCopy and placed `leadTicks` before the keyframe, so both start together (in mp4/mov the
 * edit list hides a lead exactly). Without it (no plan could be made), the audio is copied from
 * the same reading as the video and neither is moved, which keeps them in sync.
 */
export function buildCleanCopyTrimArgs(p: {
  input: string;
  output: string;
  muxer: string;
  seekTo: number;
  readFor: number | null;
  dropLeading: boolean;
  hasAudio: boolean;
  audio: Extract<JoinAudio, { mode: 'copy' }> | null;
}): string[] {
  assertMuxer(p.muxer);
  if (p.readFor !== null && !(p.readFor > 0)) throw new MediaInputError(`readFor must be positive, got ${p.readFor}`);
  const planned = p.hasAudio && p.audio !== null;
  const videoFilters = [
    // Inside a -bsf list a comma separates filters, hence the escaped one in lt().
    ...(p.dropLeading ? ['noise=drop=lt(pts\\,startpts)'] : []),
    ...(planned ? ['setts=pts=PTS-STARTPTS:dts=DTS-STARTPTS'] : []),
  ];
  return [
    ...COMMON_ARGS,
    '-ss',
    formatSeconds(p.seekTo),
    ...(p.readFor !== null ? ['-t', formatSeconds(p.readFor)] : []),
    '-i',
    pathArg(p.input),
    ...(planned ? audioInputArgs(p.input, p.audio!) : []),
    '-map',
    '0:v:0',
    ...(planned ? ['-map', '1:a'] : p.hasAudio ? ['-map', '0:a?'] : []),
    '-c',
    'copy',
    '-copypriorss:v',
    '0',
    ...(videoFilters.length > 0 ? ['-bsf:v', videoFilters.join(',')] : []),
    ...(planned ? audioCodecArgs(p.audio!) : []),
    '-f',
    p.muxer,
    pathArg(p.output),
  ];
}

/**
 * `ffmpeg` listing, as framecrc with the source's own timestamps (-copyts), the video packets from
 * `seekTo` (seconds from the file start) for `readFor` seconds that hold an IDR slice: the rest
 * lose every unit to filter_units and are dropped. (H.264's keyframe flag also marks the I-frames
 * of an open GOP, which leave references to the GOP before them.)
 */
export function buildIdrListArgs(input: string, seekTo: number, readFor: number): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    '-copyts',
    ...(seekTo > 0 ? ['-ss', formatSeconds(seekTo)] : []),
    '-t',
    formatSeconds(readFor),
    '-i',
    pathArg(input),
    '-map',
    '0:v:0',
    '-c:v',
    'copy',
    '-bsf:v',
    'filter_units=pass_types=5',
    '-avoid_negative_ts',
    'disabled',
    '-f',
    'framecrc',
    '-',
  ];
}

/** The pts (seconds, absolute) of the packets buildIdrListArgs printed. */
export function parseIdrTimes(framecrc: string): number[] {
  const tb = /^#tb 0: (\d+)\/(\d+)$/m.exec(framecrc);
  if (!tb || Number(tb[2]) <= 0) return [];
  const times: number[] = [];
  for (const m of framecrc.matchAll(/^0,\s*-?\d+,\s*(-?\d+),/gm)) times.push((Number(m[1]) * Number(tb[1])) / Number(tb[2]));
  return times;
}
