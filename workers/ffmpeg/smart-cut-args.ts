import { resolve } from 'node:path';
import { COMMON_ARGS, formatSeconds, parseFraction, pathArg, type Fraction } from './argv.js';
import type { PacketInfo } from './smart-cut-plan.js';

/** What the re-encoded pieces must match so that the copied part can follow them. */
export interface SmartCutStream {
  /** x264 profile name. */
  profile: string;
  /** H.264 level_idc, e.g. 40 for 4.0; null when the source does not say. */
  level: number | null;
  pixFmt: string;
  timeBase: Fraction;
  /** ffprobe format start_time, in seconds. */
  origin: number;
}

export type SmartCutStreamResult = { ok: true; stream: SmartCutStream } | { ok: false; reason: string };

const X264_PROFILES: Readonly<Record<string, string>> = {
  'Constrained Baseline': 'baseline',
  Baseline: 'baseline',
  Main: 'main',
  High: 'high',
  'High 10': 'high10',
  'High 4:2:2': 'high422',
  'High 4:4:4 Predictive': 'high444',
};

const X264_PIX_FMTS = new Set([
  'yuv420p',
  'yuvj420p',
  'yuv422p',
  'yuvj422p',
  'yuv444p',
  'yuvj444p',
  'yuv420p10le',
  'yuv422p10le',
  'yuv444p10le',
]);

// Re-encoded pieces sit next to original-quality video, hence a lower CRF than a full re-encode.
const PIECE_X264_ARGS = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-bf', '0'];
// Sets the re-encoded pieces' SPS/PPS apart from the source's (id 0), which are repeated in-band
// at every copied IDR; stitchable keeps x264 from tuning its headers to the content.
const PIECE_X264_PARAMS = 'stitchable=1:sps-id=1';
// Same audio as the full re-encode, so both methods give the same kind of file.
const AAC_ARGS = ['-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2'];
const MAX_TIMESCALE = 1_000_000;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `ffprobe` for the first video stream's coding parameters and the file's start time. */
export function buildStreamProbeArgs(input: string): string[] {
  return [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=codec_name,profile,level,pix_fmt,width,height,time_base,field_order:format=start_time',
    '-of',
    'json',
    pathArg(input),
  ];
}

/** Reads buildStreamProbeArgs' JSON, refusing what the re-encoded pieces could not match. */
export function parseSmartCutStream(json: unknown): SmartCutStreamResult {
  const fail = (reason: string): SmartCutStreamResult => ({ ok: false, reason });
  if (!isObject(json) || !Array.isArray(json.streams) || !isObject(json.streams[0])) return fail('no video stream');
  const s = json.streams[0];
  if (s.codec_name !== 'h264') return fail(`codec ${String(s.codec_name)} is not H.264`);
  const profile = typeof s.profile === 'string' && Object.hasOwn(X264_PROFILES, s.profile) ? X264_PROFILES[s.profile]! : null;
  if (!profile) return fail(`profile ${String(s.profile)} cannot be matched`);
  const pixFmt = typeof s.pix_fmt === 'string' && X264_PIX_FMTS.has(s.pix_fmt) ? s.pix_fmt : null;
  if (!pixFmt) return fail(`pixel format ${String(s.pix_fmt)} cannot be matched`);
  const width = Number(s.width);
  const height = Number(s.height);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || width % 2 || height % 2) {
    return fail('odd or unknown frame size');
  }
  if (typeof s.field_order === 'string' && !['progressive', 'unknown'].includes(s.field_order)) return fail('interlaced video');
  const timeBase = parseFraction(typeof s.time_base === 'string' ? s.time_base : null);
  if (!timeBase || timeBase.num !== 1 || timeBase.den > MAX_TIMESCALE) return fail(`unusable time base ${String(s.time_base)}`);
  const level = Number(s.level);
  const format = isObject(json.format) ? json.format : {};
  const origin = Number(format.start_time ?? 0);
  if (!Number.isFinite(origin)) return fail('unknown start time');
  return {
    ok: true,
    stream: {
      profile,
      level: Number.isInteger(level) && level >= 9 && level <= 62 ? level : null,
      pixFmt,
      timeBase,
      origin,
    },
  };
}

/** `ffprobe` listing the video packets from the keyframe before `from` up to `to` (absolute seconds). */
export function buildPacketProbeArgs(input: string, from: number, to: number): string[] {
  return [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'packet=pts,dts,flags',
    '-read_intervals',
    `${formatSeconds(from)}%${formatSeconds(to)}`,
    '-of',
    'csv=p=0',
    pathArg(input),
  ];
}

/** Lines "pts,dts,flags"; null when a packet lacks timestamps or is marked to be discarded. */
export function parsePacketList(csv: string): PacketInfo[] | null {
  const packets: PacketInfo[] = [];
  for (const line of csv.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const m = /^(-?\d+),(-?\d+),([A-Z_]+)(?:,.*)?$/.exec(trimmed);
    if (!m || m[3]!.includes('D')) return null;
    packets.push({ pts: Number(m[1]), dts: Number(m[2]), key: m[3]!.includes('K') });
  }
  return packets;
}

/**
 * `ffmpeg` that copies the packet at `keyframe` through a filter keeping only IDR slices and
 * prints what is left as framecrc: a line for it only when it is an IDR picture. (A keyframe
 * flag alone can also mark an open-GOP I-frame, after which frames may still refer back.)
 */
export function buildIdrCheckArgs(input: string, keyframe: number, frameDuration: number): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    '-ss',
    formatSeconds(keyframe),
    '-t',
    formatSeconds(frameDuration / 2),
    '-i',
    pathArg(input),
    '-map',
    '0:v:0',
    '-c:v',
    'copy',
    '-bsf:v',
    'filter_units=pass_types=5',
    '-frames:v',
    '1',
    '-f',
    'framecrc',
    '-',
  ];
}

/** True when buildIdrCheckArgs printed a packet at (within half a frame of) the keyframe. */
export function parseIdrCheck(framecrc: string, frameDuration: number): boolean {
  const tb = /^#tb 0: (\d+)\/(\d+)$/m.exec(framecrc);
  const packet = /^0,\s*-?\d+,\s*(-?\d+),/m.exec(framecrc);
  if (!tb || !packet) return false;
  const pts = (Number(packet[1]) * Number(tb[1])) / Number(tb[2]);
  return Math.abs(pts) < frameDuration / 2;
}

/**
 * Re-encodes `frames` frames from the first frame at or after `seekTo` into an mp4 whose
 * stream matches the source (profile, level, pixel format, timescale; size, SAR, colour and
 * rotation come through the decoder untouched). The frames keep the source's spacing
 * (passthrough, encoder time base = the source timescale) and the dts are pulled back by
 * `dtsShiftTicks` so they line up with copied B-frame packets.
 */
export function buildSmartCutEncodeArgs(p: {
  input: string;
  output: string;
  seekTo: number;
  frames: number;
  stream: SmartCutStream;
  dtsShiftTicks: number;
}): string[] {
  if (!Number.isInteger(p.frames) || p.frames <= 0) throw new RangeError(`frames must be a positive integer, got ${p.frames}`);
  if (!Number.isSafeInteger(p.dtsShiftTicks) || p.dtsShiftTicks < 0) throw new RangeError(`bad dts shift ${p.dtsShiftTicks}`);
  const timescale = String(p.stream.timeBase.den);
  return [
    ...COMMON_ARGS,
    '-noautorotate',
    '-ss',
    formatSeconds(p.seekTo),
    '-i',
    pathArg(p.input),
    '-map',
    '0:v:0',
    '-vf',
    'setpts=PTS-STARTPTS',
    '-frames:v',
    String(p.frames),
    '-fps_mode',
    'passthrough',
    '-enc_time_base',
    `1/${timescale}`,
    ...PIECE_X264_ARGS,
    '-pix_fmt',
    p.stream.pixFmt,
    '-profile:v',
    p.stream.profile,
    ...(p.stream.level !== null ? ['-level:v', String(p.stream.level)] : []),
    '-x264-params',
    PIECE_X264_PARAMS,
    // Encoder, bsf and muxer all run in the source's timescale, so the shift is in source ticks.
    ...(p.dtsShiftTicks > 0 ? ['-bsf:v', `setts=dts=DTS-${p.dtsShiftTicks}`] : []),
    '-video_track_timescale',
    timescale,
    '-f',
    'mp4',
    pathArg(p.output),
  ];
}

/**
 * Stream-copies the video from the keyframe at `keyframe` (input seek: the copy starts on
 * the keyframe at or before it, which is that keyframe) until the first packet whose dts,
 * counted from the keyframe, reaches `stopAfter`.
 */
export function buildSmartCutCopyArgs(p: {
  input: string;
  output: string;
  keyframe: number;
  stopAfter: number | null;
  stream: SmartCutStream;
}): string[] {
  return [
    ...COMMON_ARGS,
    '-ss',
    formatSeconds(p.keyframe),
    '-i',
    pathArg(p.input),
    '-map',
    '0:v:0',
    '-c:v',
    'copy',
    ...(p.stopAfter !== null ? ['-t', formatSeconds(p.stopAfter)] : []),
    '-video_track_timescale',
    String(p.stream.timeBase.den),
    '-f',
    'mp4',
    pathArg(p.output),
  ];
}

/**
 * ffconcat list of the pieces. Each piece but the last gets its exact duration, so the next
 * one starts on the frame grid whatever its container reports.
 */
export function buildSmartCutConcatList(pieces: { path: string; duration: number }[]): string {
  if (pieces.length === 0) throw new RangeError('smart cut needs at least one piece');
  const lines = ['ffconcat version 1.0'];
  pieces.forEach((piece, i) => {
    if (/[\r\n\0]/.test(piece.path)) throw new TypeError('piece path must not contain line breaks or NUL');
    lines.push(`file '${resolve(piece.path).replaceAll("'", "'\\''")}'`);
    if (i < pieces.length - 1) lines.push(`duration ${formatSeconds(piece.duration)}`);
  });
  return `${lines.join('\n')}\n`;
}

/**
 * Joins the pieces (concat demuxer; its auto_convert turns every piece into Annex B with
 * its own SPS/PPS before each IDR, so the parameter sets travel with the pictures) and adds
 * the source's audio from the first frame for exactly the output's length.
 */
export function buildSmartCutJoinArgs(p: {
  listFile: string;
  input: string;
  output: string;
  firstFrame: number;
  length: number;
  hasAudio: boolean;
  stream: SmartCutStream;
}): string[] {
  return [
    ...COMMON_ARGS,
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    pathArg(p.listFile),
    ...(p.hasAudio ? ['-ss', formatSeconds(p.firstFrame), '-t', formatSeconds(p.length), '-i', pathArg(p.input)] : []),
    '-map',
    '0:v:0',
    ...(p.hasAudio ? ['-map', '1:a:0'] : []),
    '-c:v',
    'copy',
    ...(p.hasAudio ? AAC_ARGS : []),
    '-video_track_timescale',
    String(p.stream.timeBase.den),
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    pathArg(p.output),
  ];
}
