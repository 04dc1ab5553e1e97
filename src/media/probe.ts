import { parseFraction, pathArg, type Fraction } from './argv.js';
import type { MediaLogger } from './logger.js';
import type { AudioStreamInfo, MediaInfo, VideoStreamInfo } from './media-info.js';
import { captureProcess } from './runner.js';

export type ProbeResult = { ok: true; info: MediaInfo } | { ok: false; reason: string };

type Json = Record<string, unknown>;

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_FPS = 1000;
/** The highest base rate taken as a VFR stream's nominal frame rate; above it r_frame_rate is a timestamp grid. */
const MAX_NOMINAL_FPS = 240;
const WEBM_VIDEO_CODECS = new Set(['vp8', 'vp9', 'av1']);
const WEBM_AUDIO_CODECS = new Set(['opus', 'vorbis']);

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t === '' || t === 'N/A' || t === 'unknown' ? null : t;
}

function numeric(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'string' || !/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function disposition(stream: Json, key: string): boolean {
  const d = stream.disposition;
  return isObject(d) && numeric(d[key]) === 1;
}

/** Matroska's per-stream "DURATION" tag, e.g. "00:00:01.007000000". */
function tagDuration(stream: Json): number | null {
  const tags = stream.tags;
  if (!isObject(tags)) return null;
  const raw = text(tags.DURATION) ?? text(tags.duration);
  const m = raw === null ? null : /^(\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(raw);
  if (!m) return null;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

/** A usable frame rate as a reduced "num/den" text and its value. */
function rate(v: unknown): (Fraction & { text: string; value: number }) | null {
  const f = parseFraction(text(v));
  if (!f) return null;
  const value = f.num / f.den;
  return value > 0 && value <= MAX_FPS ? { ...f, text: `${f.num}/${f.den}`, value } : null;
}

/**
 * avg_frame_rate is the honest average (VFR, field-rate streams), but for CFR files it can
 * be slightly off (e.g. an odd last-frame duration), so the exact r_frame_rate wins when
 * the two agree within 1 %. When they do not, the frames are not on r_frame_rate's grid one
 * after another: the stream has a variable frame rate, whose average is the rate.
 */
function chooseRate(stream: Json): { text: string; value: number; variable: boolean; nominal?: string } | null {
  const avg = rate(stream.avg_frame_rate);
  const real = rate(stream.r_frame_rate);
  if (avg && real && Math.abs(real.value - avg.value) / avg.value <= 0.01) return { ...real, variable: false };
  // A last frame stored with zero duration makes avg N/((N-1)/fps): off by 1/N, well over 1 % for
  // a short clip. N frames that fill N-1 to N frame intervals of r_frame_rate are at that rate.
  const frames = numeric(stream.nb_frames);
  const duration = numeric(stream.duration);
  if (real && frames !== null && frames > 1 && duration !== null && duration > 0) {
    const intervals = duration * real.value;
    if (intervals >= frames - 1 - 0.01 && intervals <= frames + 0.01) return { ...real, variable: false };
  }
  // A base rate that is a whole multiple of the average (a field rate: 50 for 25p) is no sign of VFR;
  // one past any frame rate (a 1/90000 timestamp grid) is.
  const base = parseFraction(text(stream.r_frame_rate));
  const multiple = avg && base ? base.num / base.den / avg.value : null;
  const fieldRate = multiple !== null && Math.abs(multiple - Math.round(multiple)) < 0.001;
  const variable = multiple !== null && !fieldRate;
  // A base rate a capture could have been made at (not a timestamp grid) is what the VFR stream nominally runs at.
  const nominal = variable && real && real.value <= MAX_NOMINAL_FPS && real.value >= avg!.value ? real.text : null;
  if (avg) return { ...avg, variable, ...(nominal ? { nominal } : {}) };
  return real ? { ...real, variable: false } : null;
}

function rotationOf(stream: Json): number {
  let deg: number | null = null;
  const sideData = stream.side_data_list;
  if (Array.isArray(sideData)) {
    for (const sd of sideData) {
      if (isObject(sd) && numeric(sd.rotation) !== null) deg = numeric(sd.rotation);
    }
  }
  const tags = stream.tags;
  if (deg === null && isObject(tags)) deg = numeric(tags.rotate);
  if (deg === null) return 0;
  return (((Math.round(deg / 90) * 90) % 360) + 360) % 360;
}

function containerName(formatName: string, majorBrand: string | null, videoCodec: string, audioCodec: string | null): string {
  const tokens = formatName.split(',').map((t) => t.trim());
  if (tokens.includes('mov') && tokens.includes('mp4')) return majorBrand === 'qt' ? 'mov' : 'mp4';
  if (tokens.includes('matroska') && tokens.includes('webm')) {
    const webmAudio = audioCodec === null || WEBM_AUDIO_CODECS.has(audioCodec);
    return WEBM_VIDEO_CODECS.has(videoCodec) && webmAudio ? 'webm' : 'matroska';
  }
  return tokens[0] ?? formatName;
}

function startOffset(format: Json, video: Json): number {
  const file = numeric(format.start_time);
  const first = numeric(video.start_time);
  if (file === null || first === null || first <= file) return 0;
  return Math.round((first - file) * 1e6) / 1e6;
}

function fail(reason: string): ProbeResult {
  return { ok: false, reason };
}

export interface ParseProbeOptions {
  /**
   * A video stream with a single frame is a still image when a user uploads it, but a valid result
   * when our own FFmpeg wrote it (a one-frame trim). Image formats (png, jpeg, image2) stay refused.
   */
  acceptSingleFrame?: boolean;
}

/** Turns `ffprobe -print_format json -show_format -show_streams` output into MediaInfo, or a refusal. */
export function parseProbeOutput(json: unknown, opts: ParseProbeOptions = {}): ProbeResult {
  if (!isObject(json) || !isObject(json.format) || !Array.isArray(json.streams)) {
    return fail('not a recognisable media file');
  }
  const format = json.format;
  const streams = json.streams.filter(isObject);
  const formatName = text(format.format_name);
  if (!formatName) return fail('not a recognisable media file');

  if (formatName === 'tty') return fail('this is a text file, not a video');
  if (formatName === 'image2' || formatName.endsWith('_pipe')) return fail('this is a still image, not a video');

  const videoStreams = streams.filter((s) => s.codec_type === 'video');
  const video = videoStreams.find(
    (s) => !disposition(s, 'attached_pic') && !disposition(s, 'still_image') && text(s.codec_name) !== 'ansi',
  );
  const audioStream = streams.find((s) => s.codec_type === 'audio');
  if (!video) {
    if (videoStreams.some((s) => disposition(s, 'attached_pic'))) {
      return fail('this is an audio file with cover art; it has no video stream');
    }
    if (audioStream) return fail('this is an audio-only file; it has no video stream');
    return fail('the file has no video stream');
  }

  const codec = text(video.codec_name);
  if (!codec) return fail('the video codec is unknown');

  const rotation = rotationOf(video);
  const codedWidth = numeric(video.width);
  const codedHeight = numeric(video.height);
  if (!codedWidth || !codedHeight || codedWidth <= 0 || codedHeight <= 0) {
    return fail('the video stream has no valid frame size');
  }
  const swap = rotation === 90 || rotation === 270;

  const chosenRate = chooseRate(video);
  if (!chosenRate) return fail('the video frame rate cannot be determined');

  const durationSec = [numeric(format.duration), numeric(video.duration), tagDuration(video)].find(
    (d): d is number => d !== null && d > 0,
  );
  if (durationSec === undefined) return fail('the file has a missing or non-positive duration');

  const nbFrames = numeric(video.nb_frames);
  const videoDuration = [numeric(video.duration), tagDuration(video)].find((d): d is number => d !== null && d > 0) ?? null;
  if (!opts.acceptSingleFrame && ((nbFrames !== null && nbFrames <= 1) || durationSec * chosenRate.value < 1.5)) {
    return fail('the file contains a single frame (a still image), not a video');
  }

  let audio: AudioStreamInfo | null = null;
  if (audioStream) {
    const audioCodec = text(audioStream.codec_name);
    const sampleRate = numeric(audioStream.sample_rate);
    const channels = numeric(audioStream.channels);
    if (audioCodec && sampleRate && sampleRate > 0 && channels && channels > 0) {
      audio = {
        codec: audioCodec,
        sampleRate,
        channels,
        channelLayout: text(audioStream.channel_layout),
      };
    }
  }

  const sar = text(video.sample_aspect_ratio);
  const hasBFrames = numeric(video.has_b_frames);
  const videoInfo: VideoStreamInfo = {
    codec,
    profile: text(video.profile),
    width: swap ? codedHeight : codedWidth,
    height: swap ? codedWidth : codedHeight,
    fps: Math.round(chosenRate.value * 1000) / 1000,
    frameRate: chosenRate.text,
    pixFmt: text(video.pix_fmt),
    sar: sar === '0:1' ? null : sar,
    timeBase: text(video.time_base),
    hasBFrames: hasBFrames !== null && hasBFrames > 0,
    frameCount: nbFrames !== null && nbFrames > 0 ? nbFrames : null,
    durationSec: videoDuration,
    startOffsetSec: startOffset(format, video),
    rotation,
    ...(chosenRate.variable ? { variableFrameRate: true } : {}),
    ...(chosenRate.nominal ? { nominalFrameRate: chosenRate.nominal } : {}),
  };

  const tags = isObject(format.tags) ? format.tags : {};
  const size = numeric(format.size);
  const bitRate = numeric(format.bit_rate);
  return {
    ok: true,
    info: {
      container: containerName(formatName, text(tags.major_brand), codec, audio?.codec ?? null),
      formatName,
      durationSec,
      sizeBytes: size !== null && size >= 0 ? size : 0,
      bitRate: bitRate !== null && bitRate > 0 ? bitRate : null,
      video: videoInfo,
      audio,
    },
  };
}

/** A short, user-presentable line from ffmpeg's stderr: no server paths, no "[demuxer @ 0x…]" prefixes. */
function errorDetail(stderr: string, file: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.replaceAll(file, 'input').replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/i, '').trim())
    .filter((l) => l !== '');
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}

function lacksDuration(json: unknown): json is { format: Json; streams: unknown[] } {
  if (!isObject(json) || !isObject(json.format) || !Array.isArray(json.streams)) return false;
  const durations = [numeric(json.format.duration)];
  for (const s of json.streams.filter(isObject)) {
    if (s.codec_type === 'video') durations.push(numeric(s.duration), tagDuration(s));
  }
  return !durations.some((d) => d !== null && d > 0);
}

/**
 * How long the first video stream lasts by its packets: from the earliest presentation time to
 * where the latest packet ends (a packet without a duration counts as one frame of its rate).
 * Null when there are no usable packets.
 */
async function lastVideoPacketEnd(
  ffprobePath: string,
  input: string,
  opts: { signal?: AbortSignal | undefined; timeoutMs: number; logger?: MediaLogger | undefined },
): Promise<number | null | 'timed out'> {
  const res = await captureProcess(
    ffprobePath,
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=r_frame_rate:packet=pts_time,duration_time', '-of', 'csv', input],
    // About 20 characters a packet: 64 MB is hours of video.
    { tool: 'ffprobe', signal: opts.signal, timeoutMs: opts.timeoutMs, logger: opts.logger, maxStdoutChars: 64 * 1024 * 1024 },
  );
  if (res.timedOut) return 'timed out';
  if (res.exitCode !== 0 || res.stdoutOverflow) return null;
  let frameSec = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  const packets: [number, number | null][] = [];
  for (const line of res.stdout.split('\n')) {
    const [kind, a, b] = line.trim().split(',');
    if (kind === 'stream') {
      const r = rate(a);
      if (r) frameSec = 1 / r.value;
    } else if (kind === 'packet') {
      const pts = numeric(a);
      if (pts !== null) packets.push([pts, numeric(b)]);
    }
  }
  for (const [pts, duration] of packets) {
    first = Math.min(first, pts);
    last = Math.max(last, pts + (duration !== null && duration > 0 ? duration : frameSec));
  }
  return packets.length > 0 && last > first ? last - first : null;
}

/** Last `frame=N` reported by `-progress`. */
function lastFrameCount(progress: string): number {
  let frames = 0;
  for (const m of progress.matchAll(/^frame=(\d+)\s*$/gm)) frames = Number(m[1]);
  return frames;
}

/**
 * Probes a file with ffprobe and then checks that the first video frame really decodes.
 * Resolves `{ ok: false, reason }` for anything that is not a usable video; throws only
 * when ffprobe/ffmpeg cannot be started (MissingBinaryError) or on abort.
 */
export async function probeMedia(
  file: string,
  opts: {
    ffprobePath?: string;
    ffmpegPath?: string;
    signal?: AbortSignal;
    timeoutMs?: number;
    skipDecodeCheck?: boolean;
    /** See ParseProbeOptions: for outputs of our own FFmpeg, never for uploads. */
    acceptSingleFrame?: boolean;
    logger?: MediaLogger | undefined;
  } = {},
): Promise<ProbeResult> {
  const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const input = pathArg(file);

  const probe = await captureProcess(
    opts.ffprobePath ?? 'ffprobe',
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', input],
    { tool: 'ffprobe', signal: opts.signal, timeoutMs: Math.max(1, deadline - Date.now()), logger: opts.logger },
  );
  if (probe.timedOut) return fail('probing the file timed out');
  if (probe.stdoutOverflow) return fail('the file has an unreasonable amount of metadata');
  if (probe.exitCode !== 0) {
    const detail = errorDetail(probe.stderrTail, input);
    return fail(`not a recognisable media file${detail ? ` (${detail})` : ''}`);
  }

  let json: unknown;
  try {
    json = JSON.parse(probe.stdout);
  } catch {
    return fail('not a recognisable media file');
  }
  if (lacksDuration(json)) {
    // A browser recording (MediaRecorder's WebM) has neither a duration nor cues: its length is
    // where its last packet ends, which only reading the packets tells.
    const end = await lastVideoPacketEnd(opts.ffprobePath ?? 'ffprobe', input, {
      signal: opts.signal,
      timeoutMs: Math.max(1, deadline - Date.now()),
      logger: opts.logger,
    });
    if (end === 'timed out') return fail('probing the file timed out');
    if (end !== null) json.format.duration = end.toFixed(6);
  }
  const parsed = parseProbeOutput(json, { acceptSingleFrame: opts.acceptSingleFrame ?? false });
  if (!parsed.ok || opts.skipDecodeCheck) return parsed;

  const decode = await captureProcess(
    opts.ffmpegPath ?? 'ffmpeg',
    ['-v', 'error', '-nostdin', '-i', input, '-map', '0:v:0', '-frames:v', '1', '-progress', 'pipe:1', '-nostats', '-f', 'null', '-'],
    { tool: 'ffmpeg', signal: opts.signal, timeoutMs: Math.max(1, deadline - Date.now()), logger: opts.logger },
  );
  if (decode.timedOut) return fail('decoding the first video frame timed out');
  // An undecodable stream can still exit 0 with nothing written, hence the frame count.
  if (decode.exitCode !== 0 || lastFrameCount(decode.stdout) < 1) {
    const detail = errorDetail(decode.stderrTail, input);
    return fail(`the video stream cannot be decoded${detail ? ` (${detail})` : ''}`);
  }
  return parsed;
}

export interface FrameSummary {
  /** Presentation time of the first video frame (the stream's start time), seconds. */
  firstFrameSec: number;
  frameCount: number;
}

/**
 * The first frame's time and the number of video frames of a file: the stream's `nb_frames` where
 * the container records it (mp4, mov), otherwise its packets counted (matroska, webm). Null when
 * ffprobe cannot tell.
 */
export async function probeFrames(
  file: string,
  opts: { ffprobePath?: string; signal?: AbortSignal; timeoutMs?: number; logger?: MediaLogger | undefined } = {},
): Promise<FrameSummary | null> {
  const input = pathArg(file);
  const read = async (count: boolean): Promise<Json | null> => {
    const entries = count ? 'stream=start_time,nb_frames,nb_read_packets' : 'stream=start_time,nb_frames';
    const res = await captureProcess(
      opts.ffprobePath ?? 'ffprobe',
      ['-v', 'error', '-select_streams', 'v:0', ...(count ? ['-count_packets'] : []), '-show_entries', entries, '-print_format', 'json', input],
      { tool: 'ffprobe', signal: opts.signal, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, logger: opts.logger },
    );
    if (res.exitCode !== 0 || res.timedOut || res.stdoutOverflow) return null;
    try {
      const json: unknown = JSON.parse(res.stdout);
      const stream = isObject(json) && Array.isArray(json.streams) ? json.streams.find(isObject) : undefined;
      return stream ?? null;
    } catch {
      return null;
    }
  };
  const listed = await read(false);
  if (!listed) return null;
  let frameCount = numeric(listed.nb_frames);
  if (frameCount === null || frameCount <= 0) {
    const counted = await read(true);
    frameCount = counted ? numeric(counted.nb_read_packets) : null;
  }
  if (frameCount === null) return null;
  const start = numeric(listed.start_time);
  return { firstFrameSec: start === null ? 0 : Math.round(start * 1e6) / 1e6, frameCount };
}

/**
 * Probes a file our own FFmpeg just wrote: its headers are enough (no trial decode), and a
 * single frame is a valid result (a one-frame trim), where an upload of one would be a still image.
 */
export function probeOutput(
  file: string,
  opts: { ffprobePath?: string; signal?: AbortSignal; timeoutMs?: number; logger?: MediaLogger | undefined } = {},
): Promise<ProbeResult> {
  return probeMedia(file, { ...opts, skipDecodeCheck: true, acceptSingleFrame: true });
}
