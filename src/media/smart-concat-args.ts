import { COMMON_ARGS, concatDemuxerInput, pathArg, type Fraction } from './argv.js';
import { MediaInputError } from './errors.js';
import type { MediaInfo } from './media-info.js';
import { matchedPieceEncoderArgs } from './smart-cut-args.js';
import { joinAudioDropArgs, type AudioJoin } from './smart-concat-audio.js';
import type { ConcatStreamDetails, SmartConcatTarget } from './smart-concat-plan.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' && v !== 'unknown' && v !== 'N/A' ? v : null);
const seconds = (v: unknown): number | null => {
  const n = typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};
const signedSeconds = (v: unknown): number | null => {
  const n = typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};
const int = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) ? n : null;
};

const AAC_BITRATE = '128k';

/** `ffprobe` (JSON) of every stream's coding parameters: what the copy join needs equal. */
export function buildConcatStreamProbeArgs(input: string): string[] {
  return [
    '-v',
    'error',
    '-show_entries',
    'stream=index,codec_type,codec_name,profile,level,pix_fmt,width,height,field_order,time_base,sample_rate,channels,channel_layout,start_time,duration',
    '-of',
    'json',
    pathArg(input),
  ];
}

/** `ffprobe` (JSON) of the first video packet: its pts and dts give the B-frame delay. */
export function buildFirstVideoPacketArgs(input: string): string[] {
  return ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts,dts', '-read_intervals', '%+#1', '-of', 'json', pathArg(input)];
}

/** Reads the two probes above; null when the streams cannot be read at all. */
export function parseConcatStreamDetails(streamsJson: unknown, packetJson: unknown): ConcatStreamDetails | null {
  if (!isObject(streamsJson) || !Array.isArray(streamsJson.streams)) return null;
  const streams = streamsJson.streams.filter(isObject).sort((a, b) => Number(a.index) - Number(b.index));
  const v = streams.find((s) => s.codec_type === 'video');
  if (!v) return null;
  const a = streams.find((s) => s.codec_type === 'audio');
  const packet = isObject(packetJson) && Array.isArray(packetJson.packets) ? packetJson.packets.find(isObject) : undefined;
  const pts = packet ? int(packet.pts) : null;
  const dts = packet ? int(packet.dts) : null;
  const audioSec = a ? seconds(a.duration) : null;
  const videoSec = seconds(v.duration);
  const audioStart = a ? signedSeconds(a.start_time) : null;
  const videoStart = signedSeconds(v.start_time);
  return {
    streamTypes: streams.map((s) => String(s.codec_type)),
    audioOverhangSec: audioSec !== null && videoSec !== null ? Math.round((audioSec - videoSec) * 1e6) / 1e6 : null,
    audioLeadSec: audioStart !== null && videoStart !== null ? Math.round((videoStart - audioStart) * 1e6) / 1e6 : null,
    video: {
      codec: text(v.codec_name),
      profile: text(v.profile),
      level: int(v.level),
      codedWidth: int(v.width),
      codedHeight: int(v.height),
      pixFmt: text(v.pix_fmt),
      fieldOrder: text(v.field_order),
      timeBase: text(v.time_base),
      decodeDelayTicks: pts !== null && dts !== null ? pts - dts : null,
    },
    audio: a
      ? {
          codec: text(a.codec_name),
          profile: text(a.profile),
          sampleRate: int(a.sample_rate),
          channels: int(a.channels),
          channelLayout: text(a.channel_layout),
        }
      : null,
  };
}

function rateText(rate: Fraction): string {
  return `${rate.num}/${rate.den}`;
}

/**
 * Re-encodes one input into an mp4 that the concat demuxer can join by stream copy with the target's
 * files: the target's frame size (the picture fitted inside, letterboxed), frame rate, time base,
 * x264 profile, level and pixel format, exactly `frames` frames; the audio resampled to the target's
 * rate and layout and cut or padded to the video's length (silence for an input without audio). The
 * re-encoded pictures carry SPS/PPS ids of their own, and their dts trail their pts by the copied
 * files' B-frame delay, so decode timestamps keep rising across every join.
 */
export function buildSmartConcatEncodeArgs(p: { input: string; output: string; info: MediaInfo; frames: number; target: SmartConcatTarget }): string[] {
  const { target: t } = p;
  if (!Number.isInteger(p.frames) || p.frames <= 0) throw new MediaInputError(`frames must be a positive integer, got ${p.frames}`);
  if (!Number.isSafeInteger(t.dtsShiftTicks) || t.dtsShiftTicks < 0) throw new MediaInputError(`bad dts shift ${t.dtsShiftTicks}`);
  if (t.timeBase.num !== 1) throw new MediaInputError(`time base must be 1/N, got ${t.timeBase.num}/${t.timeBase.den}`);
  for (const [name, n] of [['width', t.width], ['height', t.height]] as const) {
    if (!Number.isInteger(n) || n <= 0 || n % 2) throw new MediaInputError(`${name} must be a positive even integer, got ${n}`);
  }
  if (!/^[a-z0-9]+$/.test(t.profile) || !/^[a-z0-9]+$/.test(t.pixFmt)) throw new MediaInputError('bad profile or pixel format');
  const timescale = String(t.timeBase.den);
  const sar = p.info.video.sar;
  const anamorphic = sar !== null && !/^(\d+):\1$/.test(sar);
  const video = [
    'setpts=PTS-STARTPTS',
    ...(anamorphic ? ['scale=trunc(iw*sar/2)*2:ih', 'setsar=1'] : []),
    `scale=${t.width}:${t.height}:force_original_aspect_ratio=decrease:force_divisible_by=2`,
    `pad=${t.width}:${t.height}:(ow-iw)/2:(oh-ih)/2`,
    'setsar=1',
    `fps=${rateText(t.rate)}`,
    `format=${t.pixFmt}`,
    // A video stream shorter than its frame count (a last frame of zero duration) ends on a copy of its last frame.
    'tpad=stop=-1:stop_mode=clone',
    `trim=end_frame=${p.frames}`,
  ].join(',');

  const audioArgs: string[] = [];
  const audioInput: string[] = [];
  if (t.audio) {
    const { sampleRate, channels, channelLayout } = t.audio;
    if (!/^[a-z0-9.()+-]+$/i.test(channelLayout)) throw new MediaInputError(`bad channel layout ${channelLayout}`);
    const samples = Math.round(((p.frames * t.rate.den) / t.rate.num) * sampleRate);
    const source = p.info.audio !== null ? '0:a:0' : '1:a:0';
    if (p.info.audio === null) audioInput.push('-f', 'lavfi', '-i', `anullsrc=channel_layout=${channelLayout}:sample_rate=${sampleRate}`);
    audioArgs.push(
      '-map',
      source,
      '-af',
      `asetpts=PTS-STARTPTS,aresample=${sampleRate},aformat=sample_rates=${sampleRate}:channel_layouts=${channelLayout},apad,atrim=end_sample=${samples}`,
      '-c:a',
      'aac',
      '-b:a',
      AAC_BITRATE,
      '-ar',
      String(sampleRate),
      '-ac',
      String(channels),
    );
  }

  return [
    ...COMMON_ARGS,
    '-i',
    pathArg(p.input),
    ...audioInput,
    '-map',
    '0:v:0',
    '-vf',
    video,
    ...audioArgs,
    ...matchedPieceEncoderArgs({ timescale: t.timeBase.den, pixFmt: t.pixFmt, profile: t.profile, level: t.level }),
    // The encoder time base above is the video's: on it, AAC packet times would round off the sample grid (1022/1025-sample steps).
    ...(t.audio ? ['-enc_time_base:a', `1/${t.audio.sampleRate}`] : []),
    ...(t.dtsShiftTicks > 0 ? ['-bsf:v', `setts=dts=DTS-${t.dtsShiftTicks}`] : []),
    '-video_track_timescale',
    timescale,
    '-map_metadata',
    '-1',
    '-f',
    'mp4',
    pathArg(p.output),
  ];
}

/**
 * Joins the list (each file but the last given its exact video length, so every file's first frame
 * lands on the frame grid) by stream copy. -copyts keeps the demuxer's timestamps: without it, the
 * first file's AAC priming packet (before zero) would move the whole output later by its length.
 */
export function buildSmartConcatJoinArgs(p: {
  listFile: string;
  output: string;
  withAudio: boolean;
  timeBase: Fraction;
  /** Where each file after the first starts with its priming, and the audio's sample rate: the AAC packets overlapping a join are dropped (joinAudioDropArgs). */
  audioJoins?: { joins: AudioJoin[]; sampleRate: number };
}): string[] {
  return [
    ...COMMON_ARGS,
    '-copyts',
    ...concatDemuxerInput(p.listFile),
    '-map',
    '0:v:0',
    ...(p.withAudio ? ['-map', '0:a:0'] : []),
    '-c',
    'copy',
    ...(p.withAudio && p.audioJoins ? joinAudioDropArgs(p.audioJoins.joins, p.audioJoins.sampleRate) : []),
    '-video_track_timescale',
    String(p.timeBase.den),
    '-f',
    'mp4',
    pathArg(p.output),
  ];
}
