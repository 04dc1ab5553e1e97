import { isAbsolute, resolve } from 'node:path';
import { MediaInputError } from './errors.js';
import { isMovFamilyMuxer, muxerForContainer, type MediaInfo } from './media-info.js';

/** Prefix of every ffmpeg argv: quiet, non-interactive, overwrite, machine-readable progress on stdout. */
export const COMMON_ARGS: readonly string[] = Object.freeze([
  '-hide_banner',
  '-nostdin',
  '-y',
  '-v',
  'error',
  '-progress',
  'pipe:1',
  '-nostats',
]);

const OUTPUT_SAMPLE_RATE = 48000;
/** How far (s) after an output frame's time a source frame may sit and still be shown on it (filter concat). */
const COVER_TOLERANCE_SEC = 0.001;
const MAX_FPS = 1000;

const X264_ARGS = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p'];
const AAC_ARGS = ['-c:a', 'aac', '-b:a', '128k', '-ar', String(OUTPUT_SAMPLE_RATE), '-ac', '2'];

function assertFinite(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new MediaInputError(`${name} must be a finite number, got ${String(value)}`);
  }
}

/**
 * Seconds as a fixed 6-decimal string (microsecond precision, never exponent notation),
 * e.g. 2 → "2.000000", 0.1 + 0.2 → "0.300000". Rejects negative and non-finite values.
 */
export function formatSeconds(s: number): string {
  assertFinite('seconds', s);
  if (s < 0) throw new MediaInputError(`seconds must not be negative, got ${s}`);
  const micros = Math.round(s * 1e6);
  if (!Number.isSafeInteger(micros)) throw new MediaInputError(`seconds out of range: ${s}`);
  const whole = Math.floor(micros / 1e6);
  const frac = micros - whole * 1e6;
  return `${whole}.${String(frac).padStart(6, '0')}`;
}

export interface Fraction {
  num: number;
  den: number;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Parses an ffprobe-style rate "30000/1001" (or "25") into validated positive integers. */
export function parseFraction(text: string | null | undefined): Fraction | null {
  if (typeof text !== 'string') return null;
  const m = /^\s*(\d{1,10})(?:\s*\/\s*(\d{1,10}))?\s*$/.exec(text);
  if (!m) return null;
  const num = Number(m[1]);
  const den = m[2] === undefined ? 1 : Number(m[2]);
  if (num <= 0 || den <= 0) return null;
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

/**
 * Best rational for a frame rate given as a (3-decimal) number: integers stay integers,
 * NTSC-style rates become N*1000/1001 (29.97 → 30000/1001), anything else is taken to
 * the millisecond (12.5 → 25/2).
 */
export function frameRateFraction(fps: number): Fraction {
  assertFinite('fps', fps);
  if (fps <= 0 || fps > MAX_FPS) throw new MediaInputError(`fps must be in (0, ${MAX_FPS}], got ${fps}`);
  const whole = Math.round(fps);
  if (whole > 0 && Math.abs(fps - whole) < 5e-4) return { num: whole, den: 1 };
  const ntsc = Math.round(fps * 1.001);
  if (ntsc > 0 && Math.abs(fps * 1.001 - ntsc) / ntsc < 2e-5) return { num: ntsc * 1000, den: 1001 };
  const milli = Math.round(fps * 1000);
  const g = gcd(milli, 1000);
  return { num: milli / g, den: 1000 / g };
}

function fractionText(f: Fraction): string {
  return f.den === 1 ? String(f.num) : `${f.num}/${f.den}`;
}

/** The rates a VFR stream without a plausible nominal rate is stated at: the nearest to its average. */
const STANDARD_RATES: readonly Fraction[] = [
  { num: 24000, den: 1001 },
  { num: 24, den: 1 },
  { num: 25, den: 1 },
  { num: 30000, den: 1001 },
  { num: 30, den: 1 },
  { num: 50, den: 1 },
  { num: 60000, den: 1001 },
  { num: 60, den: 1 },
  { num: 120, den: 1 },
];

/**
 * The constant rate a stream is stated at: a constant-rate stream's own rate; for a VFR one, its
 * nominal rate (MediaInfo's nominalFrameRate, e.g. 30/1 for a capture that dropped frames), else the
 * standard rate nearest its average (29.94 → 30000/1001), never its irregular average itself.
 */
export function statedFrameRate(video: MediaInfo['video']): Fraction {
  const own = parseFraction(video.frameRate) ?? frameRateFraction(video.fps);
  if (!video.variableFrameRate) return own;
  const nominal = parseFraction(video.nominalFrameRate);
  if (nominal && nominal.num / nominal.den <= MAX_FPS) return nominal;
  const average = own.num / own.den;
  return STANDARD_RATES.reduce((best, r) => (Math.abs(r.num / r.den - average) < Math.abs(best.num / best.den - average) ? r : best));
}

/** How a filter concat times its output: the stated rate of the first input, to which the VFR inputs (by index) are re-timed. */
export function concatFilterTiming(infos: readonly MediaInfo[]): { rate: Fraction; rateText: string; vfrInputs: number[] } {
  const first = infos[0];
  if (!first) throw new MediaInputError('concat needs at least one input');
  const rate = statedFrameRate(first.video);
  const vfrInputs = infos.flatMap((info, i) => (info.video.variableFrameRate ? [i] : []));
  return { rate, rateText: `${rate.num}/${rate.den}`, vfrInputs };
}

/**
 * Path as an ffmpeg argument. Relative paths get the `file:` protocol so that a name like
 * "-x" or "http:foo" can never be read as an option or another protocol.
 */
export function pathArg(p: string): string {
  if (typeof p !== 'string' || p.length === 0) throw new MediaInputError('path must be a non-empty string');
  if (p.includes('\0')) throw new MediaInputError('path must not contain NUL');
  return isAbsolute(p) ? p : `file:${p}`;
}

function assertMuxer(muxer: string): void {
  if (typeof muxer !== 'string' || !/^[a-z0-9_]+$/.test(muxer)) {
    throw new MediaInputError(`invalid muxer name: ${JSON.stringify(muxer)}`);
  }
}

// Stream-copy outputs skip +faststart: moving the index to the front rewrites the whole file, and a
// copy is meant to cost no more than reading and writing it once. Players fetch the index by Range.
/** The first video stream and every audio stream, copied as they are. */
const STREAM_COPY = ['-map', '0:v:0', '-map', '0:a?', '-c', 'copy'];

function muxerArgs(muxer: string): string[] {
  assertMuxer(muxer);
  return ['-f', muxer];
}

function assertRange(start: number, end: number): void {
  assertFinite('start', start);
  assertFinite('end', end);
  if (start < 0) throw new MediaInputError(`start must not be negative, got ${start}`);
  if (end <= start) throw new MediaInputError(`end (${end}) must be greater than start (${start})`);
}

/** Index of the first frame at or after t on the grid k·den/num (µs tolerance for rounded inputs). */
function firstFrameAtOrAfter(t: number, rate: Fraction): number {
  return Math.ceil(((t - 5e-7) * rate.num) / rate.den);
}

/** How many frames of a constant `fps` source an accurate trim of start..end keeps (0: none). */
export function framesInRange(start: number, end: number, fps: number): number {
  const rate = frameRateFraction(fps);
  return Math.max(0, firstFrameAtOrAfter(end, rate) - firstFrameAtOrAfter(start, rate));
}

/**
 * How far before `start` an accurate trim seeks. Input seeking lands on the last keyframe whose
 * index time is at or before the seek point; with an open GOP (x264 open-gop, x265's default) or
 * B-frame delay, the frames just before a keyframe are decoded from *its* GOP's references in the
 * GOP before, so seeking right at `start` lands on that keyframe and loses them. A second earlier
 * lands on the keyframe before, from which everything up to `start` decodes.
 */
const SEEK_MARGIN_SEC = 1;

/**
 * Frame-accurate trim by re-encoding.
 *
 * Times are relative to the first video frame (frame 0), which in MPEG-TS can come after the file's
 * start (its audio first): input seeking counts from the file's start, so the offset is added.
 * The input is seeked SEEK_MARGIN_SEC before `start` (see there), and the frames to keep are then
 * chosen by their presentation time: `trim` keeps frame k when it is shown in
 * [first frame at/after start, first frame at/after end), with the bounds set half a frame early so
 * that rounded request times and timestamp jitter never move a frame across them.
 * `setpts=PTS-STARTPTS` moves the first kept frame to t=0; without that, a start that falls
 * between two frames makes the CFR muxing step duplicate the first frame. Output is CFR at the
 * source rate, so nothing is dropped or duplicated for CFR sources.
 *
 * Audio is cut on the same frame grid (first frame at/after start … first frame at/after
 * end), which keeps it sample-aligned with the video for sources whose frames sit on
 * k/fps, and within one frame otherwise.
 */
export function buildAccurateTrimArgs(p: {
  input: string;
  output: string;
  start: number;
  end: number;
  hasAudio: boolean;
  fps: number;
  /** MediaInfo's video.startOffsetSec: where frame 0 sits on the timeline input seeking uses. */
  videoStartOffsetSec?: number;
  /** MediaInfo's video.variableFrameRate: keep the source's frame times (see buildVfrTrimArgs). */
  variableFrameRate?: boolean;
}): string[] {
  assertRange(p.start, p.end);
  const offset = p.videoStartOffsetSec ?? 0;
  assertFinite('videoStartOffsetSec', offset);
  if (offset < 0) throw new MediaInputError(`videoStartOffsetSec must not be negative, got ${offset}`);
  if (p.variableFrameRate) return buildVfrTrimArgs({ ...p, offset });
  const rate = frameRateFraction(p.fps);
  const firstFrame = firstFrameAtOrAfter(p.start, rate);
  const endFrame = firstFrameAtOrAfter(p.end, rate);
  if (endFrame - firstFrame < 1) {
    throw new MediaInputError(`trim range ${p.start}..${p.end} contains no frame at ${fractionText(rate)} fps`);
  }
  const frameSec = rate.den / rate.num;
  // Seek to a whole microsecond so that the times below are exact offsets from it.
  const seek = seekBefore(offset + p.start);
  const firstAt = offset + firstFrame * frameSec - seek;
  const endAt = offset + endFrame * frameSec - seek;
  const videoStart = Math.max(0, firstAt - frameSec / 2);
  const videoEnd = Math.max(videoStart + 1e-6, endAt - frameSec / 2);
  const audioStart = Math.max(0, firstAt);
  const audioEnd = Math.max(audioStart + 1e-6, endAt);

  const videoFilter = [
    `trim=start=${formatSeconds(videoStart)}:end=${formatSeconds(videoEnd)}`,
    'setpts=PTS-STARTPTS',
    ...EVEN_YUV420,
  ].join(',');

  const timing = ['-fps_mode', 'cfr', '-r', fractionText(rate)];
  return reencodeTrimArgs({ ...p, seek, videoFilter, audioFilter: audioTrim(audioStart, audioEnd), timing });
}

// libx264 with 4:2:0 needs even dimensions.
const EVEN_YUV420 = ['scale=trunc(iw/2)*2:trunc(ih/2)*2', 'format=yuv420p'];
/** A frame time may sit this far (s) before a requested bound and still count as at it: request times are rounded. */
const VFR_TOLERANCE_SEC = 0.0005;

function seekBefore(t: number): number {
  return Math.max(0, Math.round((t - SEEK_MARGIN_SEC) * 1e6) / 1e6);
}

/** A trim re-encoded to H.264/AAC mp4 from `seek`: the first video stream through `videoFilter`, the first audio one through `audioFilter`. */
function reencodeTrimArgs(p: {
  input: string;
  output: string;
  seek: number;
  hasAudio: boolean;
  videoFilter: string;
  audioFilter: string;
  /** How frame times are written: -fps_mode and what goes with it. */
  timing: string[];
}): string[] {
  return [
    ...COMMON_ARGS,
    '-ss',
    formatSeconds(p.seek),
    '-i',
    pathArg(p.input),
    '-map',
    '0:v:0',
    ...(p.hasAudio ? ['-map', '0:a:0'] : []),
    '-vf',
    p.videoFilter,
    ...(p.hasAudio ? ['-af', p.audioFilter] : []),
    ...p.timing,
    ...X264_ARGS,
    ...(p.hasAudio ? AAC_ARGS : []),
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    pathArg(p.output),
  ];
}

function audioTrim(start: number, end: number): string {
  return `atrim=start=${formatSeconds(start)}:end=${formatSeconds(end)},asetpts=PTS-STARTPTS`;
}

/**
 * Re-encoding trim of a variable-frame-rate source. A constant-rate output would have to repeat or
 * drop frames and move them off their times, so every source frame shown in [start, end) is kept
 * once, at its own time: the output has the source's timestamps (VFR), moved by `start` for video
 * and audio alike, so that the audio runs from `start` to `end` exactly and every frame stays where
 * it was against it (the first frame can come up to one frame interval after the audio starts).
 */
function buildVfrTrimArgs(p: { input: string; output: string; start: number; end: number; hasAudio: boolean; offset: number }): string[] {
  const seek = seekBefore(p.offset + p.start);
  const startAt = p.offset + p.start - seek;
  const endAt = p.offset + p.end - seek;
  const videoFilter = [
    `trim=start=${formatSeconds(Math.max(0, startAt - VFR_TOLERANCE_SEC))}:end=${formatSeconds(Math.max(1e-6, endAt - VFR_TOLERANCE_SEC))}`,
    // A constant shift, not PTS-STARTPTS: the frames keep their distances from the audio.
    `setpts=PTS-${formatSeconds(startAt)}/TB`,
    ...EVEN_YUV420,
  ].join(',');
  // The source stream's time base for the encoder, so that no frame time is rounded to a grid.
  const timing = ['-fps_mode', 'passthrough', '-enc_time_base', '-1'];
  return reencodeTrimArgs({ ...p, seek, videoFilter, audioFilter: audioTrim(startAt, endAt), timing });
}

/** Keyframe-aligned trim without re-encoding (fast; the cut snaps to the keyframe before start). */
export function buildCopyTrimArgs(p: { input: string; output: string; start: number; end: number; muxer: string }): string[] {
  assertRange(p.start, p.end);
  return [
    ...COMMON_ARGS,
    '-ss',
    formatSeconds(p.start),
    '-to',
    formatSeconds(p.end),
    '-i',
    pathArg(p.input),
    ...STREAM_COPY,
    '-avoid_negative_ts',
    'make_zero',
    ...muxerArgs(p.muxer),
    pathArg(p.output),
  ];
}

function sameAudio(a: MediaInfo['audio'], b: MediaInfo['audio']): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.codec === b.codec &&
    a.sampleRate === b.sampleRate &&
    a.channels === b.channels &&
    a.channelLayout === b.channelLayout
  );
}

/** True when the concat demuxer can join the files with `-c copy` (identical stream parameters). */
export function canConcatByCopy(infos: MediaInfo[]): boolean {
  const first = infos[0];
  if (!first) return false;
  const v0 = first.video;
  return infos.every((info) => {
    const v = info.video;
    return (
      info.container === first.container &&
      v.codec === v0.codec &&
      v.profile === v0.profile &&
      v.width === v0.width &&
      v.height === v0.height &&
      v.sar === v0.sar &&
      v.pixFmt === v0.pixFmt &&
      v.frameRate === v0.frameRate &&
      v.timeBase === v0.timeBase &&
      (v.rotation ?? 0) === (v0.rotation ?? 0) &&
      sameAudio(info.audio, first.audio)
    );
  });
}

/**
 * Text of an ffconcat list file. Relative paths are resolved against the current directory.
 * `durations[i]` (s), when given, is where file i+1 starts after file i's start (the last file's is not used).
 */
export function buildConcatList(paths: string[], durations?: readonly (number | null)[]): string {
  if (paths.length === 0) throw new MediaInputError('concat needs at least one path');
  const lines = ['ffconcat version 1.0'];
  paths.forEach((p, i) => {
    if (typeof p !== 'string' || p.length === 0) throw new MediaInputError('concat path must be a non-empty string');
    if (/[\r\n\0]/.test(p)) throw new MediaInputError('concat path must not contain line breaks or NUL');
    // Inside '...' nothing is special, so a quote is written as: close, escaped quote, reopen.
    lines.push(`file '${resolve(p).replaceAll("'", "'\\''")}'`);
    const duration = i < paths.length - 1 ? durations?.[i] : null;
    if (duration !== null && duration !== undefined) {
      if (!(duration > 0)) throw new MediaInputError(`concat duration must be positive, got ${duration}`);
      lines.push(`duration ${formatSeconds(duration)}`);
    }
  });
  return `${lines.join('\n')}\n`;
}

/**
 * Where a concat copy starts the mp4/mov file after this one: its video's own length. The file's duration
 * can be longer (audio that outlasts the picture) or rounded (an mp4's to the millisecond), and
 * the concat demuxer would hold the last frame that much longer. A stream one frame shorter than
 * its frames at its rate stored its last frame with zero duration: that frame counts. Null: unknown.
 */
export function concatCopyJoinDuration(info: MediaInfo): number | null {
  // Only an mp4/mov stream's duration is its length; Matroska's DURATION tag is where it ends.
  if (!isMovFamilyMuxer(muxerForContainer(info.container))) return null;
  const v = info.video;
  // A picture that starts after the file (an empty edit) ends that much after its length: the file's duration covers it.
  if ((v.startOffsetSec ?? 0) > 0.001) return null;
  const stream = v.durationSec && v.durationSec > 0 ? v.durationSec : null;
  if (stream === null || v.variableFrameRate) return stream;
  const byCount = v.frameCount && v.fps > 0 ? v.frameCount / v.fps : null;
  const zeroLast = byCount !== null && Math.abs(byCount - stream - 1 / v.fps) < 0.001;
  return zeroLast ? byCount : stream;
}

/** The concat demuxer reading a list of server-written absolute paths (hence -safe 0). */
export function concatDemuxerInput(listFile: string): string[] {
  return ['-f', 'concat', '-safe', '0', '-i', pathArg(listFile)];
}

/**
 * Joins the list by stream copy. Into mp4/mov, -copyts keeps the demuxer's timestamps: without it,
 * audio that starts before the first frame (a smart cut's copied AAC, its lead cut by an edit list)
 * would move the whole output's picture later by that lead. Other muxers would be handed negative
 * timestamps they cannot write as such.
 */
export function buildConcatCopyArgs(p: { listFile: string; output: string; muxer: string }): string[] {
  return [
    ...COMMON_ARGS,
    ...(isMovFamilyMuxer(p.muxer) ? ['-copyts'] : []),
    ...concatDemuxerInput(p.listFile),
    ...STREAM_COPY,
    ...muxerArgs(p.muxer),
    pathArg(p.output),
  ];
}

function even(n: number): number {
  return Math.max(2, Math.round(n / 2) * 2);
}

function squareSar(sar: string | null): Fraction | null {
  const m = sar === null ? null : /^(\d{1,6}):(\d{1,6})$/.exec(sar);
  if (!m) return null;
  const num = Number(m[1]);
  const den = Number(m[2]);
  return num > 0 && den > 0 && num !== den ? { num, den } : null;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new MediaInputError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * How long an input's video lasts. The file's duration can be longer (audio that outlasts the
 * picture, as copy trims leave it), and the stream's own duration shorter by one frame when the
 * last frame was stored with zero duration; N frames of a constant-rate stream last N/fps.
 */
export function videoDurationOf(info: MediaInfo): number {
  const v = info.video;
  const byCount = v.frameCount && v.fps > 0 ? v.frameCount / v.fps : null;
  const stream = v.durationSec && v.durationSec > 0 ? v.durationSec : null;
  if (byCount !== null && stream !== null) return Math.max(byCount, stream);
  return byCount ?? stream ?? info.durationSec;
}

/**
 * Re-encoding concat for inputs that differ. Every input is scaled (letterboxed) to the
 * first input's display size and re-timed to its stated frame rate (concatFilterTiming: a VFR
 * input's frames each shown from the output frame at or after its time), and each segment's video
 * and audio are cut or padded to the same frame-quantised length, so A/V sync holds at every join.
 */
export function buildConcatFilterArgs(p: { inputs: { path: string; info: MediaInfo }[]; output: string }): string[] {
  const first = p.inputs[0];
  if (!first) throw new MediaInputError('concat needs at least one input');

  const v0 = first.info.video;
  const { rate } = concatFilterTiming(p.inputs.map((input) => input.info));
  if (rate.num / rate.den > MAX_FPS) throw new MediaInputError(`frame rate too high: ${fractionText(rate)}`);
  const firstSar = squareSar(v0.sar);
  const width = even(positiveInt('width', v0.width) * (firstSar ? firstSar.num / firstSar.den : 1));
  const height = even(positiveInt('height', v0.height));
  const withAudio = p.inputs.some((input) => input.info.audio !== null);

  const chains: string[] = [];
  const labels: string[] = [];
  p.inputs.forEach(({ info }, i) => {
    assertFinite('durationSec', info.durationSec);
    if (info.durationSec <= 0) throw new MediaInputError(`input ${i} has a non-positive duration`);
    positiveInt('width', info.video.width);
    positiveInt('height', info.video.height);
    const frames = Math.max(1, Math.round((videoDurationOf(info) * rate.num) / rate.den));
    const samples = Math.round(((frames * rate.den) / rate.num) * OUTPUT_SAMPLE_RATE);

    const video = [
      // Each output frame shows the source frame whose interval covers its time: frames are moved
      // up to the next output tick (round=up), never shown before their time. The tolerance keeps
      // a frame whose time a coarse time base rounded just past its tick (33.4 ms) on that tick.
      `setpts=PTS-STARTPTS-${formatSeconds(COVER_TOLERANCE_SEC)}/TB`,
      // Anamorphic input: make its pixels square before fitting it into the frame.
      ...(squareSar(info.video.sar) ? ['scale=trunc(iw*sar/2)*2:ih', 'setsar=1'] : []),
      `scale=${width}:${height}:force_original_aspect_ratio=decrease:force_divisible_by=2`,
      `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2`,
      'setsar=1',
      `fps=${fractionText(rate)}:round=up`,
      'format=yuv420p',
      // Clone the last frame in case the video stream is shorter than the container.
      'tpad=stop=-1:stop_mode=clone',
      `trim=end_frame=${frames}`,
    ].join(',');
    chains.push(`[${i}:v:0]${video}[v${i}]`);
    labels.push(`[v${i}]`);

    if (!withAudio) return;
    const audio =
      info.audio !== null
        ? `[${i}:a:0]asetpts=PTS-STARTPTS,aresample=${OUTPUT_SAMPLE_RATE},` +
          `aformat=sample_rates=${OUTPUT_SAMPLE_RATE}:channel_layouts=stereo,apad,atrim=end_sample=${samples}`
        : `anullsrc=channel_layout=stereo:sample_rate=${OUTPUT_SAMPLE_RATE},atrim=end_sample=${samples}`;
    chains.push(`${audio}[a${i}]`);
    labels.push(`[a${i}]`);
  });

  const n = p.inputs.length;
  chains.push(`${labels.join('')}concat=n=${n}:v=1:a=${withAudio ? 1 : 0}[v]${withAudio ? '[a]' : ''}`);

  return [
    ...COMMON_ARGS,
    ...p.inputs.flatMap((input) => ['-i', pathArg(input.path)]),
    '-filter_complex',
    chains.join(';'),
    '-map',
    '[v]',
    ...(withAudio ? ['-map', '[a]'] : []),
    // The graph already holds one frame per 1/rate; without -r the muxer takes an input's average rate.
    '-fps_mode',
    'cfr',
    '-r',
    fractionText(rate),
    ...X264_ARGS,
    ...(withAudio ? AAC_ARGS : []),
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    pathArg(p.output),
  ];
}
