/**
 * Tiny synthetic media files for tests, generated with ffmpeg's lavfi sources.
 * Every helper spawns ffmpeg/ffprobe with an argv array (no shell).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { frameRateFraction } from '../../src/media/argv.js';
import type { MediaInfo } from '../../src/media/media-info.js';
import { probeMedia } from '../../src/media/probe.js';

export const FFMPEG = 'ffmpeg';
export const FFPROBE = 'ffprobe';

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

/** Named colours accepted by the helpers, with ffmpeg's values (so "green" is #008000; "lime" is #00FF00). */
export const COLOURS: Readonly<Record<string, Rgb>> = {
  red: { r: 255, g: 0, b: 0 },
  green: { r: 0, g: 128, b: 0 },
  lime: { r: 0, g: 255, b: 0 },
  blue: { r: 0, g: 0, b: 255 },
  white: { r: 255, g: 255, b: 255 },
  black: { r: 0, g: 0, b: 0 },
  yellow: { r: 255, g: 255, b: 0 },
  magenta: { r: 255, g: 0, b: 255 },
  cyan: { r: 0, g: 255, b: 255 },
};

export function colourRgb(colour: string): Rgb {
  const named = COLOURS[colour.toLowerCase()];
  if (named) return named;
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
  if (!m) throw new Error(`unknown colour ${colour}; use a name from COLOURS or #rrggbb`);
  return { r: parseInt(m[1]!, 16), g: parseInt(m[2]!, 16), b: parseInt(m[3]!, 16) };
}

function ffmpegColour(colour: string): string {
  const { r, g, b } = colourRgb(colour);
  return `0x${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

/** Largest per-channel difference between two colours. */
export function colourDistance(a: Rgb, b: Rgb): number {
  return Math.max(Math.abs(a.r - b.r), Math.abs(a.g - b.g), Math.abs(a.b - b.b));
}

/** True when `actual` is within `tolerance` (per channel) of the named/hex colour. */
export function isColour(actual: Rgb, colour: string, tolerance = 48): boolean {
  return colourDistance(actual, colourRgb(colour)) <= tolerance;
}

export interface RunResult {
  stdout: Buffer;
  stderr: string;
  code: number | null;
}

/**
 * Runs a binary with argv and collects its output; never rejects for a non-zero exit.
 * Killed after `timeoutMs` so that a stuck command cannot outlive the test run.
 */
export function runTool(binary: string, args: string[], timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => {
      stderr = (stderr + c).slice(-16_384);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out), stderr, code });
    });
  });
}

async function mustRun(binary: string, args: string[]): Promise<Buffer> {
  const res = await runTool(binary, args);
  if (res.code !== 0) throw new Error(`${binary} ${args.join(' ')} failed (${res.code}): ${res.stderr}`);
  return res.stdout;
}

function uniqueName(prefix: string, ext: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}.${ext}`;
}

/** `name` as given when it has an extension, otherwise with the container's extension appended. */
function fileName(name: string | undefined, prefix: string, ext: string): string {
  if (name === undefined) return uniqueName(prefix, ext);
  return extname(name) === '' ? `${name}.${ext}` : name;
}

function rateText(fps: number): string {
  const f = frameRateFraction(fps);
  return f.den === 1 ? String(f.num) : `${f.num}/${f.den}`;
}

const QUIET = ['-hide_banner', '-nostdin', '-y', '-v', 'error'];

export type ClipCodec = 'h264' | 'vp9' | 'mpeg4';
export type ClipContainer = 'mp4' | 'mkv' | 'webm';

interface EncodeOptions {
  codec: ClipCodec;
  fps: number;
  gop?: number | undefined;
  bframes?: boolean | undefined;
}

function videoEncoderArgs({ codec, fps, gop, bframes }: EncodeOptions): string[] {
  const keyint = String(Math.max(1, Math.round(gop ?? fps * 2)));
  switch (codec) {
    case 'h264':
      // -sc_threshold 0: no extra keyframes at scene (colour) changes, so the GOP is exactly `gop`.
      return [
        '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
        '-g', keyint, '-keyint_min', keyint, '-sc_threshold', '0', '-bf', bframes ? '2' : '0',
      ];
    case 'vp9':
      return [
        '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k',
        '-pix_fmt', 'yuv420p', '-g', keyint, '-keyint_min', keyint,
      ];
    case 'mpeg4':
      return ['-c:v', 'mpeg4', '-q:v', '5', '-pix_fmt', 'yuv420p', '-g', keyint, '-bf', bframes ? '2' : '0'];
  }
}

function muxerFor(container: ClipContainer): string {
  return container === 'mkv' ? 'matroska' : container;
}

export interface ClipOptions {
  name?: string;
  durationSec: number;
  width?: number;
  height?: number;
  fps?: number;
  audio?: boolean;
  codec?: ClipCodec;
  container?: ClipContainer;
  gop?: number;
  bframes?: boolean;
}

/** A testsrc2 clip (moving pattern) with an optional 440 Hz tone. Returns its path. */
export async function makeClip(dir: string, opts: ClipOptions): Promise<string> {
  const codec = opts.codec ?? 'h264';
  const container = opts.container ?? (codec === 'vp9' ? 'webm' : 'mp4');
  const fps = opts.fps ?? 25;
  const width = opts.width ?? 320;
  const height = opts.height ?? 240;
  const audio = opts.audio ?? true;
  const d = String(opts.durationSec);
  const file = join(dir, fileName(opts.name, 'clip', container));
  await mustRun(FFMPEG, [
    ...QUIET,
    '-f', 'lavfi', '-i', `testsrc2=s=${width}x${height}:r=${rateText(fps)}:d=${d}`,
    ...(audio ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${d}`] : []),
    '-map', '0:v',
    ...(audio ? ['-map', '1:a'] : []),
    ...videoEncoderArgs({ codec, fps, gop: opts.gop, bframes: opts.bframes }),
    ...(audio ? (container === 'webm' ? ['-c:a', 'libopus', '-b:a', '64k'] : ['-c:a', 'aac', '-b:a', '64k']) : []),
    '-t', d,
    '-f', muxerFor(container),
    file,
  ]);
  return file;
}

export interface ColourStepOptions {
  colours: string[];
  secondsEach: number;
  fps: number;
  width?: number;
  height?: number;
  audio?: boolean;
  gop?: number;
  bframes?: boolean;
  name?: string;
}

/**
 * H.264 mp4 whose colour i is shown from i*secondsEach (the first frame at or after that
 * time). Keyframes every `gop` frames (default 2 s) and nowhere else.
 */
export async function makeColourStepClip(dir: string, opts: ColourStepOptions): Promise<string> {
  const [firstColour, ...rest] = opts.colours;
  if (!firstColour) throw new Error('makeColourStepClip needs at least one colour');
  const width = opts.width ?? 320;
  const height = opts.height ?? 240;
  const total = opts.colours.length * opts.secondsEach;
  // drawbox covers the whole frame from its start time on; the epsilon absorbs float error in t.
  const boxes = rest.map(
    (c, i) => `drawbox=c=${ffmpegColour(c)}:t=fill:enable='gte(t,${((i + 1) * opts.secondsEach - 1e-6).toFixed(6)})'`,
  );
  const video = [`color=c=${ffmpegColour(firstColour)}:s=${width}x${height}:r=${rateText(opts.fps)}:d=${total}`, ...boxes].join(',');
  const file = join(dir, fileName(opts.name, 'steps', 'mp4'));
  await mustRun(FFMPEG, [
    ...QUIET,
    '-f', 'lavfi', '-i', video,
    ...(opts.audio ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${total}`] : []),
    '-map', '0:v',
    ...(opts.audio ? ['-map', '1:a', '-c:a', 'aac', '-b:a', '64k'] : []),
    ...videoEncoderArgs({ codec: 'h264', fps: opts.fps, gop: opts.gop, bframes: opts.bframes }),
    '-t', String(total),
    '-f', 'mp4',
    file,
  ]);
  return file;
}

/** Mean colour of one decoded frame: the first, the last, or the first at/after timeSec. */
export async function frameColourAt(
  file: string,
  opts: { first?: true; last?: true; timeSec?: number },
): Promise<Rgb> {
  const seek = opts.timeSec !== undefined ? ['-ss', opts.timeSec.toFixed(6)] : [];
  const limit = opts.last ? [] : ['-frames:v', '1'];
  const out = await mustRun(FFMPEG, [
    ...QUIET,
    ...seek,
    '-i', file,
    '-map', '0:v:0',
    ...limit,
    '-vf', 'scale=1:1:flags=area',
    '-fps_mode', 'passthrough',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24',
    '-',
  ]);
  if (out.length < 3) throw new Error(`no frame decoded from ${file}`);
  const px = out.subarray(out.length - 3);
  return { r: px[0]!, g: px[1]!, b: px[2]! };
}

/** Number of decodable video frames (ffprobe -count_frames). */
export async function countFrames(file: string): Promise<number> {
  const out = await mustRun(FFPROBE, [
    '-v', 'error', '-count_frames', '-select_streams', 'v:0',
    '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file,
  ]);
  const n = Number.parseInt(out.toString('utf8').trim(), 10);
  if (!Number.isFinite(n)) throw new Error(`could not count frames of ${file}`);
  return n;
}

/** Raw `ffprobe -show_format -show_streams` JSON. */
export async function probeJson(file: string): Promise<any> {
  const out = await mustRun(FFPROBE, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]);
  return JSON.parse(out.toString('utf8'));
}

/** Presentation times (s) of every decoded video frame, in display order. */
export async function frameTimes(file: string): Promise<number[]> {
  const out = await mustRun(FFPROBE, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time,pkt_dts_time', '-of', 'csv=p=0', file]);
  // A frame without a pts (N/A) is taken at its packet's dts.
  const times = out.toString('utf8').split('\n').filter((l) => l.trim() !== '').map((l) => l.split(',').map(Number).find(Number.isFinite) ?? Number.NaN);
  return times.sort((a, b) => a - b);
}

/**
 * Where the first video and the first audio stream's packets start and end (s), as a decoder gets
 * them (edit lists applied): container durations are only estimates in MPEG-TS.
 */
export async function packetSpans(file: string): Promise<{ video: [number, number]; audio: [number, number] }> {
  const span = async (stream: string): Promise<[number, number]> => {
    const out = await mustRun(FFPROBE, ['-v', 'error', '-select_streams', stream, '-show_entries', 'packet=pts_time,duration_time', '-of', 'csv=p=0', file]);
    const packets = out.toString('utf8').split('\n').filter((l) => l.includes(',')).map((l) => l.split(',').map(Number) as [number, number]);
    if (packets.length === 0) throw new Error(`${file} has no ${stream} packets`);
    // A packet without a duration (N/A) lasts as long as most of the others.
    const counts = new Map<number, number>();
    for (const [, d] of packets) if (Number.isFinite(d)) counts.set(d, (counts.get(d) ?? 0) + 1);
    const usual = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0;
    return [Math.min(...packets.map(([pts]) => pts)), Math.max(...packets.map(([pts, d]) => pts + (Number.isFinite(d) ? d : usual)))];
  };
  const [video, audio] = await Promise.all([span('v:0'), span('a:0')]);
  return { video, audio };
}

/** Full decode to the null muxer; returns ffmpeg's error output ('' when clean). */
export async function decodeErrors(file: string): Promise<string> {
  const res = await runTool(FFMPEG, ['-v', 'error', '-nostdin', '-i', file, '-f', 'null', '-']);
  return res.code === 0 ? res.stderr.trim() : `exit ${res.code}: ${res.stderr.trim()}`;
}

export async function makeTextFile(dir: string, name = uniqueName('notes', 'txt')): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, 'This is not a video.\nJust a few lines of plain text.\n');
  return file;
}

export async function makePng(dir: string, name = uniqueName('image', 'png')): Promise<string> {
  const file = join(dir, name);
  await mustRun(FFMPEG, [...QUIET, '-f', 'lavfi', '-i', 'color=c=0xff0000:s=64x64', '-frames:v', '1', '-f', 'image2', file]);
  return file;
}

/** AAC in an .m4a (mp4 family) container, no video stream. */
export async function makeAudioOnly(dir: string, name = uniqueName('audio', 'm4a')): Promise<string> {
  const file = join(dir, name);
  await mustRun(FFMPEG, [
    ...QUIET, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=1',
    '-c:a', 'aac', '-b:a', '64k', '-f', 'mp4', file,
  ]);
  return file;
}

/** MP3 with a PNG cover (a video stream with disposition attached_pic). */
export async function makeAudioWithCover(dir: string, name = uniqueName('song', 'mp3')): Promise<string> {
  const file = join(dir, name);
  await mustRun(FFMPEG, [
    ...QUIET,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=1',
    // A bounded source: with an endless one ffmpeg never finishes after -frames:v.
    '-f', 'lavfi', '-i', 'color=c=0x0000ff:s=64x64:d=1',
    '-map', '0:a', '-map', '1:v', '-frames:v', '1',
    '-c:a', 'libmp3lame', '-c:v', 'png', '-disposition:v', 'attached_pic', '-id3v2_version', '3',
    '-f', 'mp3', file,
  ]);
  return file;
}

/** The service's own probe of a file the test made; a refusal fails the test with its reason. */
export async function mustProbe(file: string): Promise<MediaInfo> {
  const res = await probeMedia(file);
  if (!res.ok) throw new Error(`probe of ${file} failed: ${res.reason}`);
  return res.info;
}
