import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { mustRun } from './proc.js';
import { BOX_BASE, BOX_CYCLE, BOX_SIZE, BOX_STEP, FPS, INTRO_FPS, INTRO_SECONDS, SMALL_SECONDS, SMALL_SIZE, SOURCE_SECONDS } from './spec.js';

export interface Media {
  dir: string;
  /** 10 min 1080p30 H.264/AAC, a keyframe every 2 s, B-frames, numbered frames. */
  source: string;
  /** The source repeated until the file is larger than 2 GiB. */
  big: string;
  /** Copy trims of the source at keyframes: 0–60 s and 60–120 s. */
  pieces: [string, string];
  /** A 10 s intro that differs from the source in size and frame rate (1280x720 at 25 fps), numbered the same way. */
  intro: string;
  /** A 2-minute 640x360 source, otherwise like the main one. */
  small: string;
}

const VERSION = 'media-v1';
const TWO_GIB = 2 ** 31;
const HOUR_MS = 3_600_000;

const quiet = ['-hide_banner', '-nostdin', '-v', 'error', '-y'];

function sourceArgs(out: string, size = '1920x1080', fps = FPS, d = SOURCE_SECONDS): string[] {
  // geq is far too slow on 1080p, so it only paints the small box that carries the frame number.
  const box = `color=c=black:size=${BOX_SIZE}x${BOX_SIZE}:rate=${fps}:duration=${d},format=yuv420p,` +
    `geq=lum='${BOX_BASE}+${BOX_STEP}*mod(N\\,${BOX_CYCLE})':cb=128:cr=128`;
  const graph = `testsrc2=size=${size}:rate=${fps}:duration=${d},format=yuv420p[bg];${box}[box];` +
    '[bg][box]overlay=0:0:format=yuv420:shortest=1';
  return [
    ...quiet,
    '-f', 'lavfi', '-i', graph,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${d}`,
    // ultrafast would switch B-frames off; superfast keeps them and is still quick.
    '-c:v', 'libx264', '-preset', 'superfast', '-bf', '3',
    '-g', String(fps * 2), '-keyint_min', String(fps * 2), '-sc_threshold', '0',
    '-b:v', '8M', '-maxrate', '8M', '-bufsize', '16M', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '128k',
    '-movflags', '+faststart', out,
  ];
}

async function concatCopies(source: string, out: string, dir: string): Promise<void> {
  const { size } = await stat(source);
  const copies = Math.floor(TWO_GIB / size) + 1;
  const list = path.join(dir, 'big.ffconcat');
  const lines = ['ffconcat version 1.0', ...Array.from({ length: copies }, () => `file '${source}'`)];
  await writeFile(list, `${lines.join('\n')}\n`);
  await mustRun('ffmpeg', [...quiet, '-f', 'concat', '-safe', '0', '-i', list, '-map', '0', '-c', 'copy', out], { timeoutMs: HOUR_MS / 6 });
  await rm(list, { force: true });
}

/** A copy trim from a keyframe that keeps exactly `seconds` of frames (`-to` alone would keep the B-frame tail). */
async function copyTrim(source: string, start: number, seconds: number, out: string): Promise<void> {
  await mustRun(
    'ffmpeg',
    [...quiet, '-ss', String(start), '-i', source, '-map', '0', '-c', 'copy', '-frames:v', String(seconds * FPS), '-t', String(seconds), out],
    { timeoutMs: 120_000 },
  );
}

/** Writes through a temp name so an interrupted run never leaves a half file that looks done. */
async function build(target: string, make: (tmp: string) => Promise<void>, log: (m: string) => void): Promise<void> {
  if (existsSync(target)) return;
  const tmp = `${target}.part.mp4`;
  const started = Date.now();
  log(`making ${path.basename(target)} …`);
  await make(tmp);
  await rename(tmp, target);
  log(`made ${path.basename(target)} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** The bench media, made once and kept in the cache dir (outside the repo). */
export async function ensureMedia(cacheDir: string, log: (m: string) => void): Promise<Media> {
  const dir = path.join(cacheDir, VERSION);
  await mkdir(dir, { recursive: true });
  const media: Media = {
    dir,
    source: path.join(dir, 'source.mp4'),
    big: path.join(dir, 'big.mp4'),
    pieces: [path.join(dir, 'piece-0-60.mp4'), path.join(dir, 'piece-60-120.mp4')],
    intro: path.join(dir, 'intro-720p25-10s.mp4'),
    small: path.join(dir, 'small-360p30-120s.mp4'),
  };
  // Added after media-v1 was first made: built on its own when missing, so the big files are kept.
  await build(media.intro, (tmp) => mustRun('ffmpeg', sourceArgs(tmp, '1280x720', INTRO_FPS, INTRO_SECONDS), { timeoutMs: 5 * 60_000 }).then(() => {}), log);
  await build(media.small, (tmp) => mustRun('ffmpeg', sourceArgs(tmp, SMALL_SIZE, FPS, SMALL_SECONDS), { timeoutMs: 5 * 60_000 }).then(() => {}), log);
  const manifest = path.join(dir, 'manifest.json');
  if (existsSync(manifest)) {
    const known = JSON.parse(await readFile(manifest, 'utf8')) as { files: string[] };
    if (known.files.every((f) => existsSync(f))) return media;
  }
  await build(media.source, (tmp) => mustRun('ffmpeg', sourceArgs(tmp), { timeoutMs: 15 * 60_000 }).then(() => {}), log);
  await build(media.big, (tmp) => concatCopies(media.source, tmp, dir), log);
  await build(media.pieces[0], (tmp) => copyTrim(media.source, 0, 60, tmp), log);
  await build(media.pieces[1], (tmp) => copyTrim(media.source, 60, 60, tmp), log);
  const files = [media.source, media.big, ...media.pieces];
  await writeFile(manifest, JSON.stringify({ version: VERSION, files, madeAt: new Date().toISOString() }, null, 2));
  return media;
}
