import { resolve } from 'node:path';
import { COMMON_ARGS, concatDemuxerInput, formatSeconds, parseFraction, pathArg, type Fraction } from './argv.js';
import { MediaInputError } from './errors.js';
import { HEVC_COPY_BSF, HEVC_IRAP_TYPES, HEVC_JOIN_ARGS, hevcDecodeFrom, hevcPieceEncoderArgs, matchHevcCoding } from './smart-cut-hevc.js';
import type { PacketInfo } from './smart-cut-plan.js';
import type { StreamPacket } from './smart-cut-streams.js';

/** What the re-encoded pieces must match so that the copied part can follow them. */
export interface SmartCutStream {
  /** The source's codec; H.264 when absent. */
  codec?: 'h264' | 'hevc';
  /** x264 (or, for HEVC, x265) profile name. */
  profile: string;
  /** H.264 level_idc, e.g. 40 for 4.0 (HEVC: general_level_idc, 30 × the level); null when the source does not say. */
  level: number | null;
  pixFmt: string;
  timeBase: Fraction;
  /** ffprobe format start_time, in seconds. */
  origin: number;
}

/** Where the streams sit in the source, for reading all of them in one listing. */
export interface SmartCutLayout {
  /** Index of the first video stream (the one cut). */
  videoIndex: number;
  /** Its id (the mp4 track ID), which the join matches pieces by; null when ffprobe gave none. */
  videoId: number | null;
  /** The first audio stream, when there is one. */
  audio: { index: number; codec: string; timeBase: Fraction | null } | null;
  /** Time base of every stream, by index (null when ffprobe gave none). */
  timeBases: (Fraction | null)[];
}

export type SmartCutStreamResult = { ok: true; stream: SmartCutStream; layout: SmartCutLayout } | { ok: false; reason: string };

export const X264_PROFILES: Readonly<Record<string, string>> = {
  'Constrained Baseline': 'baseline',
  Baseline: 'baseline',
  Main: 'main',
  High: 'high',
  'High 10': 'high10',
  'High 4:2:2': 'high422',
  'High 4:4:4 Predictive': 'high444',
};

export const X264_PIX_FMTS = new Set([
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
// superfast (no lookahead, simpler motion search) encodes a short piece in about ¾ of veryfast's
// time. Unlike ultrafast it keeps CABAC and 8x8 transforms, so x264 still signals the source's
// profile; turning them back on through -x264-params would override -profile's limits.
const PIECE_X264_ARGS = ['-c:v', 'libx264', '-preset', 'superfast', '-crf', '18', '-bf', '0'];
// Sets the re-encoded pieces' SPS/PPS apart from the source's (id 0), which are repeated in-band
// at every copied IDR; stitchable keeps x264 from tuning its headers to the content.
const PIECE_X264_PARAMS = 'stitchable=1:sps-id=1';
// When the source's audio cannot be copied: the same audio as the full re-encode.
const AAC_ARGS = ['-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2'];
const MAX_TIMESCALE = 1_000_000;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads the streams and format of buildPacketProbeArgs' JSON, refusing what the re-encoded pieces could not match. */
export function parseSmartCutStream(json: unknown): SmartCutStreamResult {
  const fail = (reason: string): SmartCutStreamResult => ({ ok: false, reason });
  if (!isObject(json) || !Array.isArray(json.streams)) return fail('no video stream');
  const streams = json.streams.filter(isObject);
  const timeBases: (Fraction | null)[] = [];
  for (const st of streams) {
    const index = Number(st.index);
    if (!Number.isInteger(index) || index < 0 || index > 1000) return fail('unusable stream index');
    timeBases[index] = parseFraction(typeof st.time_base === 'string' ? st.time_base : null);
  }
  // Same choice as ffmpeg's `v:0` and `a:0`: the first stream of each type.
  const s = streams.find((st) => st.codec_type === 'video');
  if (!s) return fail('no video stream');
  const a = streams.find((st) => st.codec_type === 'audio');
  if (s.codec_name !== 'h264' && s.codec_name !== 'hevc') return fail(`codec ${String(s.codec_name)} is not H.264 or HEVC`);
  const hevc = s.codec_name === 'hevc' ? matchHevcCoding(s) : null;
  if (hevc && !hevc.ok) return fail(hevc.reason);
  if (hevc && s.codec_tag_string === 'hvc1') return fail(HVC1_REASON);
  const profile = hevc?.ok ? hevc.profile : typeof s.profile === 'string' && Object.hasOwn(X264_PROFILES, s.profile) ? X264_PROFILES[s.profile]! : null;
  if (!profile) return fail(`profile ${String(s.profile)} cannot be matched`);
  const pixFmt = hevc?.ok ? hevc.pixFmt : typeof s.pix_fmt === 'string' && X264_PIX_FMTS.has(s.pix_fmt) ? s.pix_fmt : null;
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
  for (let i = 0; i < timeBases.length; i++) timeBases[i] ??= null;
  return {
    ok: true,
    stream: {
      ...(hevc ? { codec: 'hevc' as const } : {}),
      profile,
      level: hevc?.ok ? hevc.level : Number.isInteger(level) && level >= 9 && level <= 62 ? level : null,
      pixFmt,
      timeBase,
      origin,
    },
    layout: {
      videoIndex: Number(s.index),
      videoId: typeof s.id === 'string' && /^0x[0-9a-f]{1,8}$/i.test(s.id) ? Number.parseInt(s.id.slice(2), 16) : null,
      audio: a
        ? {
            index: Number(a.index),
            codec: String(a.codec_name),
            timeBase: parseFraction(typeof a.time_base === 'string' ? a.time_base : null),
          }
        : null,
      timeBases,
    },
  };
}

const STREAM_ENTRIES = 'stream=index,id,codec_type,codec_name,codec_tag_string,profile,level,pix_fmt,width,height,time_base,field_order:format=start_time';

/**
 * The pieces of an HEVC smart cut carry their own parameter sets in the stream, which only an hev1
 * sample entry allows; an hvc1 source (Apple's, most phones') would come out hev1, which Apple's
 * players refuse. So such a source is re-encoded whole instead.
 */
export const HVC1_REASON = 'HEVC tagged hvc1 (parameter sets in the sample entry only): a smart cut would have to write hev1, which Apple players refuse';

/**
 * `ffprobe` (JSON) listing the packets of all streams, in the order the demuxer reads them, from the
 * video keyframe before `from` up to the first packet of any stream whose pts reaches `to` (absolute
 * seconds); with `streams`, also every stream's type, time base and the video's coding parameters,
 * and the file's start time (one process fewer than asking for them apart).
 */
export function buildPacketProbeArgs(input: string, from: number, to: number, streams = false): string[] {
  return [
    '-v',
    'error',
    '-show_entries',
    `packet=stream_index,pts,dts,duration,flags${streams ? `:${STREAM_ENTRIES}` : ''}`,
    '-read_intervals',
    `${formatSeconds(from)}%${formatSeconds(to)}`,
    '-of',
    'json',
    pathArg(input),
  ];
}

function integerOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : null;
}

/** The packets of buildPacketProbeArgs' JSON (null for a timestamp ffprobe left out); null when they cannot be read. */
export function parsePacketList(json: unknown): StreamPacket[] | null {
  if (!isObject(json)) return null;
  if (json.packets === undefined) return [];
  if (!Array.isArray(json.packets)) return null;
  const packets: StreamPacket[] = [];
  for (const p of json.packets) {
    if (!isObject(p)) return null;
    const stream = integerOrNull(p.stream_index);
    if (stream === null || stream < 0 || typeof p.flags !== 'string') return null;
    packets.push({
      stream,
      pts: integerOrNull(p.pts),
      dts: integerOrNull(p.dts),
      duration: integerOrNull(p.duration),
      key: p.flags.includes('K'),
      discard: p.flags.includes('D'),
    });
  }
  return packets;
}

/** The video packets of a listing; null when one lacks timestamps or is marked to be discarded. */
export function videoPackets(packets: StreamPacket[], videoIndex: number): PacketInfo[] | null {
  const video: PacketInfo[] = [];
  for (const p of packets) {
    if (p.stream !== videoIndex) continue;
    if (p.pts === null || p.dts === null || p.discard) return null;
    video.push({ pts: p.pts, dts: p.dts, key: p.key });
  }
  return video;
}

/**
 * `ffmpeg` that copies the packet at `keyframe` through a filter keeping only IDR slices and
 * prints what is left as framecrc: a line for it only when it is an IDR picture. (A keyframe
 * flag alone can also mark an open-GOP I-frame, after which frames may still refer back.)
 */
export function buildIdrCheckArgs(input: string, keyframe: number, frameDuration: number, codec: SmartCutStream['codec'] = 'h264'): string[] {
  const reading = ['-ss', formatSeconds(keyframe), '-t', formatSeconds(frameDuration / 2), '-i', pathArg(input)];
  return idrPacketArgs(reading, ['-frames:v', '1'], keyPictureTypes(codec));
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
 * `ffmpeg` listing, as framecrc with the source's own timestamps (-copyts), the video packets from
 * `seekTo` (seconds from the file start) for `readFor` seconds that hold an IDR slice: the rest
 * lose every unit to filter_units and are dropped. (H.264's keyframe flag also marks the I-frames
 * of an open GOP, which leave references to the GOP before them.)
 */
export function buildIdrListArgs(input: string, seekTo: number, readFor: number, codec: SmartCutStream['codec'] = 'h264'): string[] {
  const reading = [...(seekTo > 0 ? ['-ss', formatSeconds(seekTo)] : []), '-t', formatSeconds(readFor), '-i', pathArg(input)];
  return idrPacketArgs(['-copyts', ...reading], ['-avoid_negative_ts', 'disabled'], keyPictureTypes(codec));
}

/** NAL unit types a copy may start on: H.264 IDR slices; for HEVC any random access picture (the copy leaves out its leading pictures). */
function keyPictureTypes(codec: SmartCutStream['codec']): string {
  return codec === 'hevc' ? HEVC_IRAP_TYPES : '5';
}

/** `ffmpeg` copying the video of `input` through a filter that keeps the NAL units of `passTypes` only, printed as framecrc. */
function idrPacketArgs(input: string[], output: string[], passTypes: string): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    ...input,
    '-map',
    '0:v:0',
    '-c:v',
    'copy',
    '-bsf:v',
    `filter_units=pass_types=${passTypes}`,
    ...output,
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

/**
 * x264 for a piece that is stream-copied beside another file's video: frames keep their timestamps
 * in that file's timescale, with its pixel format, profile and level, and SPS/PPS ids of their own.
 */
export function matchedPieceEncoderArgs(p: { timescale: number; pixFmt: string; profile: string; level: number | null }): string[] {
  return [
    '-fps_mode',
    'passthrough',
    '-enc_time_base',
    `1/${p.timescale}`,
    ...PIECE_X264_ARGS,
    '-pix_fmt',
    p.pixFmt,
    '-profile:v',
    p.profile,
    ...(p.level !== null ? ['-level:v', String(p.level)] : []),
    '-x264-params',
    PIECE_X264_PARAMS,
  ];
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
  /** mp4 track ID for the piece's video (the join matches it with the source's); the muxer's own when absent. */
  trackId?: number | undefined;
  /** The piece's length in seconds: with `frames`, its frame duration, which HEVC's decode lead is counted in. */
  duration?: number | undefined;
}): string[] {
  if (!Number.isInteger(p.frames) || p.frames <= 0) throw new MediaInputError(`frames must be a positive integer, got ${p.frames}`);
  if (p.trackId !== undefined && !(Number.isSafeInteger(p.trackId) && p.trackId > 0)) throw new MediaInputError(`bad track id ${p.trackId}`);
  if (!Number.isSafeInteger(p.dtsShiftTicks) || p.dtsShiftTicks < 0) throw new MediaInputError(`bad dts shift ${p.dtsShiftTicks}`);
  const timescale = String(p.stream.timeBase.den);
  const decodeFrom = p.stream.codec === 'hevc' ? hevcDecodeFrom(p.seekTo, p.duration === undefined ? undefined : p.duration / p.frames) : p.seekTo;
  return [
    ...COMMON_ARGS,
    '-noautorotate',
    '-ss',
    formatSeconds(decodeFrom),
    '-i',
    pathArg(p.input),
    '-map',
    '0:v:0',
    '-vf',
    decodeFrom < p.seekTo ? `trim=start=${formatSeconds(p.seekTo - decodeFrom)},setpts=PTS-STARTPTS` : 'setpts=PTS-STARTPTS',
    '-frames:v',
    String(p.frames),
    ...(p.stream.codec === 'hevc' ? hevcPieceEncoderArgs : matchedPieceEncoderArgs)({
      timescale: p.stream.timeBase.den,
      pixFmt: p.stream.pixFmt,
      profile: p.stream.profile,
      level: p.stream.level,
    }),
    // Encoder, bsf and muxer all run in the source's timescale, so the shift is in source ticks.
    ...(p.dtsShiftTicks > 0 ? ['-bsf:v', `setts=dts=DTS-${p.dtsShiftTicks}`] : []),
    ...(p.trackId !== undefined ? ['-streamid', `0:${p.trackId}`, '-use_stream_ids_as_track_ids', '1'] : []),
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
    ...(p.stream.codec === 'hevc' ? ['-bsf:v', HEVC_COPY_BSF] : []),
    ...(p.stopAfter !== null ? ['-t', formatSeconds(p.stopAfter)] : []),
    '-video_track_timescale',
    String(p.stream.timeBase.den),
    '-f',
    'mp4',
    pathArg(p.output),
  ];
}

/**
 * One entry of the join's list: a file, or the part of it between `inpoint` (where the demuxer
 * seeks to) and `outpoint` (it stops at the first packet of any stream whose dts reaches it),
 * in absolute seconds of that file.
 */
export interface ConcatPiece {
  path: string;
  /** Where the next piece starts, counted from this one's start (or inpoint); unused for the last piece. */
  duration: number;
  inpoint?: number | undefined;
  outpoint?: number | undefined;
}

/**
 * ffconcat list of the pieces. Each piece but the last gets its exact duration, so the next
 * one starts on the frame grid whatever its container reports. With `streamId`, the join has that
 * one stream, taken from every piece by id: a piece that is the source itself then brings none of
 * its other streams (whose earlier timestamps would otherwise move the start of the video).
 */
export function buildSmartCutConcatList(pieces: ConcatPiece[], streamId?: number): string {
  if (pieces.length === 0) throw new MediaInputError('smart cut needs at least one piece');
  const lines = ['ffconcat version 1.0'];
  if (streamId !== undefined) {
    if (!(Number.isSafeInteger(streamId) && streamId > 0)) throw new MediaInputError(`bad stream id ${streamId}`);
    lines.push('stream', `exact_stream_id ${streamId}`);
  }
  pieces.forEach((piece, i) => {
    if (/[\r\n\0]/.test(piece.path)) throw new MediaInputError('piece path must not contain line breaks or NUL');
    lines.push(`file '${resolve(piece.path).replaceAll("'", "'\\''")}'`);
    if (piece.inpoint !== undefined) lines.push(`inpoint ${formatSeconds(piece.inpoint)}`);
    if (piece.outpoint !== undefined) lines.push(`outpoint ${formatSeconds(piece.outpoint)}`);
    if (i < pieces.length - 1) lines.push(`duration ${formatSeconds(piece.duration)}`);
  });
  return `${lines.join('\n')}\n`;
}

/** How the join gets the audio: its packets copied from the source, or re-encoded to AAC. */
export type JoinAudio =
  | {
      mode: 'copy';
      /** Input `-ss` (seconds from the file start): halfway between the first copied packet and the one before. */
      seekTo: number;
      /** Input `-t` from `seekTo`: halfway between the last copied packet and the one after. */
      readFor: number;
      /** Audio time-base ticks by which the first copied packet starts before the first frame (negative: after it). */
      leadTicks: number;
      /** The first copied packet's pts, audio ticks on the source's clock. */
      firstPts?: number;
    }
  | { mode: 'encode'; firstFrame: number; length: number };

/** The audio input of a join or copy trim: the source read from where its first copied (or encoded) sample lies. */
export function audioInputArgs(input: string, audio: JoinAudio): string[] {
  if (audio.mode === 'encode') {
    return ['-ss', formatSeconds(audio.firstFrame), '-t', formatSeconds(audio.length), '-i', pathArg(input)];
  }
  if (!Number.isSafeInteger(audio.leadTicks)) throw new MediaInputError(`bad audio lead ${audio.leadTicks}`);
  // -ss cannot be negative; -itsoffset moves the timestamps the same way without seeking.
  const seek = audio.seekTo >= 0 ? ['-ss', formatSeconds(audio.seekTo)] : ['-itsoffset', formatSeconds(-audio.seekTo)];
  return [...seek, '-t', formatSeconds(audio.readFor), '-i', pathArg(input)];
}

/** How the audio input's packets are copied (or encoded) so that the first one sits leadTicks before the first frame. */
export function audioCodecArgs(audio: JoinAudio): string[] {
  if (audio.mode === 'encode') return AAC_ARGS;
  return [
    '-c:a',
    'copy',
    // Drop the packets the seek brings in before seekTo, so the first one kept is the first copied packet…
    '-copypriorss:a',
    '0',
    // …then move it to leadTicks before the first frame. The mp4 muxer keeps the packet and writes an
    // edit list for the audio track that starts playback exactly at the first frame; video is not moved.
    '-bsf:a',
    `setts=ts=TS-STARTPTS${audio.leadTicks >= 0 ? `-${audio.leadTicks}` : `+${-audio.leadTicks}`}`,
  ];
}

/**
 * Joins the pieces (concat demuxer; its auto_convert turns every piece into Annex B with
 * its own SPS/PPS before each IDR, so the parameter sets travel with the pictures) and adds
 * the source's audio from the first frame for the output's length. No +faststart: moving the
 * index to the front would rewrite the whole file once more.
 */
export function buildSmartCutJoinArgs(p: {
  listFile: string;
  input: string;
  output: string;
  audio: JoinAudio | null;
  stream: SmartCutStream;
}): string[] {
  return [
    ...COMMON_ARGS,
    ...concatDemuxerInput(p.listFile),
    ...(p.audio ? audioInputArgs(p.input, p.audio) : []),
    '-map',
    '0:v:0',
    ...(p.audio ? ['-map', '1:a:0'] : []),
    '-c:v',
    'copy',
    ...(p.audio ? audioCodecArgs(p.audio) : []),
    ...(p.stream.codec === 'hevc' ? HEVC_JOIN_ARGS : []),
    '-video_track_timescale',
    String(p.stream.timeBase.den),
    '-f',
    'mp4',
    pathArg(p.output),
  ];
}
