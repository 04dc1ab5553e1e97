import { formatSeconds } from './argv.js';
import { MediaInputError } from './errors.js';
import type { MediaLogger } from './logger.js';
import { captureProcess } from './runner.js';

/**
 * Still images and the keyframe index of a video, for the studio's poster, filmstrip and timeline.
 * Argv builders are pure; the two runners below spawn through captureProcess (tied to the parent).
 */

const QUIET = ['-hide_banner', '-nostdin', '-y', '-v', 'error'];
const PREVIEW_TIMEOUT_MS = 60_000;

function assertWidth(width: number): void {
  if (!Number.isInteger(width) || width < 16 || width > 3840) throw new MediaInputError(`width must be an integer in [16, 3840], got ${width}`);
}

/** One JPEG frame at `timeSec`, scaled to `width` (height keeps the aspect, even). Input seek: fast on long files. */
export function thumbnailArgs(input: string, output: string, timeSec: number, width: number): string[] {
  assertWidth(width);
  return [
    ...QUIET,
    '-ss', formatSeconds(timeSec),
    '-i', input,
    '-map', '0:v:0',
    '-frames:v', '1',
    '-vf', `scale=${width}:-2`,
    '-q:v', '4',
    '-f', 'image2', '-c:v', 'mjpeg',
    output,
  ];
}

export interface StoryboardLayout {
  tiles: number;
  columns: number;
  rows: number;
  tileWidth: number;
  /** Seconds between tiles; tile i shows the video at about i * interval. */
  intervalSec: number;
}

/** Evenly spaced tiles over the duration: `tiles` of them (fewer for a very short video), in rows of `columns`. */
export function storyboardLayout(durationSec: number, opts: { tiles?: number; columns?: number; tileWidth?: number } = {}): StoryboardLayout {
  if (!Number.isFinite(durationSec) || durationSec <= 0) throw new MediaInputError(`duration must be positive, got ${durationSec}`);
  const wanted = opts.tiles ?? 20;
  const tiles = Math.max(1, Math.min(wanted, Math.floor(durationSec * 4)));
  const columns = Math.min(opts.columns ?? 10, tiles);
  const tileWidth = opts.tileWidth ?? 160;
  assertWidth(tileWidth);
  return { tiles, columns, rows: Math.ceil(tiles / columns), tileWidth, intervalSec: durationSec / tiles };
}

/** Past this length a storyboard decodes keyframes only. */
export const STORYBOARD_FULL_DECODE_MAX_SEC = 600;

/**
 * One JPEG sprite of the layout's tiles. A long video has only its keyframes decoded
 * (`-skip_frame nokey`), so a two-hour file costs seconds; the fps filter repeats the latest
 * keyframe between them. A short one is decoded whole, so that every tile shows its own time.
 */
export function storyboardArgs(input: string, output: string, layout: StoryboardLayout): string[] {
  const rate = `1/${formatSeconds(layout.intervalSec)}`;
  const keyframesOnly = layout.intervalSec * layout.tiles > STORYBOARD_FULL_DECODE_MAX_SEC;
  return [
    ...QUIET,
    ...(keyframesOnly ? ['-skip_frame', 'nokey'] : []),
    '-i', input,
    '-map', '0:v:0',
    '-an',
    '-vf', `fps=${rate}:round=down,scale=${layout.tileWidth}:-2,tile=${layout.columns}x${layout.rows}`,
    '-frames:v', '1',
    '-q:v', '5',
    '-f', 'image2', '-c:v', 'mjpeg',
    output,
  ];
}

/** ffprobe argv listing the first video stream's packets (time and flags) from the container index: nothing is decoded. */
export function keyframePacketArgs(input: string): string[] {
  return ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,dts_time,flags', '-of', 'csv=print_section=0', input];
}

/** Keyframe times (seconds, ascending, unique) from `pts_time,dts_time,flags` CSV lines. */
export function parseKeyframePackets(csv: string): number[] {
  const times = new Set<number>();
  for (const line of csv.split('\n')) {
    const [pts, dts, flags] = line.trim().split(',');
    if (!flags?.includes('K')) continue;
    const t = Number(pts !== undefined && pts !== 'N/A' && pts !== '' ? pts : dts);
    if (Number.isFinite(t)) times.add(Math.round(t * 1e6) / 1e6);
  }
  return [...times].sort((a, b) => a - b);
}

export interface PreviewToolOptions {
  ffmpegPath: string;
  ffprobePath: string;
  logger?: MediaLogger | undefined;
}

async function runStill(argv: string[], opts: PreviewToolOptions): Promise<void> {
  const r = await captureProcess(opts.ffmpegPath, argv, { tool: 'ffmpeg', timeoutMs: PREVIEW_TIMEOUT_MS, maxStdoutChars: 4096, logger: opts.logger });
  if (r.exitCode !== 0) throw new Error(r.timedOut ? 'ffmpeg timed out making a preview image' : `ffmpeg could not make a preview image: ${r.stderrTail}`);
}

export function makeThumbnail(input: string, output: string, timeSec: number, width: number, opts: PreviewToolOptions): Promise<void> {
  return runStill(thumbnailArgs(input, output, timeSec, width), opts);
}

export function makeStoryboard(input: string, output: string, layout: StoryboardLayout, opts: PreviewToolOptions): Promise<void> {
  return runStill(storyboardArgs(input, output, layout), opts);
}

export async function readKeyframes(input: string, opts: PreviewToolOptions): Promise<number[]> {
  const r = await captureProcess(opts.ffprobePath, keyframePacketArgs(input), {
    tool: 'ffprobe',
    timeoutMs: PREVIEW_TIMEOUT_MS,
    maxStdoutChars: 64 * 1024 * 1024,
    logger: opts.logger,
  });
  if (r.exitCode !== 0 || r.stdoutOverflow) throw new Error(r.timedOut ? 'ffprobe timed out listing keyframes' : `ffprobe could not list keyframes: ${r.stderrTail}`);
  return parseKeyframePackets(r.stdout);
}
