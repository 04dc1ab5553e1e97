/**
 * Frame-coded clips: every frame carries its own number in a strip of black/white blocks along the
 * top (bit i of the frame number in block i, least significant on the left), so a decoded output
 * says exactly which source frames it holds, in which order. Unlike the colour-step clips this
 * tells every frame apart, which is what an exactness check of trims and concats needs.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { probeJson, runTool } from './media.js';

/** Enough for 1023 frames: 40 s at 25 fps, 34 s at 30 fps. */
export const FRAME_CODE_BITS = 10;
const STRIP_HEIGHT = 32;
const HI = 235;
const LO = 16;

export interface FrameCodedClipOptions {
  name: string;
  durationSec: number;
  fps?: number;
  width?: number;
  height?: number;
  codec?: 'h264' | 'mpeg4';
  audio?: boolean;
  /** Keyframe interval in frames (default 2 s). */
  gop?: number;
  /** B-frames between references (h264 only; default none). */
  bframes?: number;
  /** x264 open GOP: the leading B-frames of a keyframe's GOP refer to the GOP before it (h264 only). */
  openGop?: boolean;
  /** Times (s) of extra keyframes coded as IDR pictures (h264 only), e.g. amid open-GOP I-frames. */
  idrAt?: number[];
}

/** An mp4 whose frame n shows n in its code strip (over a moving testsrc2 pattern). Returns its path. */
export async function makeFrameCodedClip(dir: string, opts: FrameCodedClipOptions): Promise<string> {
  const fps = opts.fps ?? 25;
  const width = opts.width ?? 640;
  const height = opts.height ?? 360;
  const frames = Math.round(opts.durationSec * fps);
  if (frames > 2 ** FRAME_CODE_BITS - 1) throw new Error(`${frames} frames do not fit in ${FRAME_CODE_BITS} bits`);
  if (width % FRAME_CODE_BITS !== 0) throw new Error(`width ${width} is not a multiple of ${FRAME_CODE_BITS}`);
  const block = width / FRAME_CODE_BITS;
  const d = String(opts.durationSec);
  // geq only paints the small strip; the block of pixel X carries bit floor(X / block) of N.
  const strip =
    `color=c=black:s=${width}x${STRIP_HEIGHT}:r=${fps}:d=${d},format=yuv420p,` +
    `geq=lum='if(mod(floor(N/pow(2,floor(X/${block}))),2),${HI},${LO})':cb=128:cr=128`;
  const graph = `testsrc2=s=${width}x${height}:r=${fps}:d=${d},format=yuv420p[bg];${strip}[code];[bg][code]overlay=0:0:shortest=1`;
  const gop = String(opts.gop ?? fps * 2);
  const codec = opts.codec ?? 'h264';
  const video =
    codec === 'h264'
      ? [
          '-c:v', 'libx264', '-preset', opts.bframes ? 'veryfast' : 'ultrafast', '-pix_fmt', 'yuv420p',
          '-g', gop, '-keyint_min', gop, '-sc_threshold', '0', '-bf', String(opts.bframes ?? 0),
          ...(opts.openGop ? ['-x264-params', 'open-gop=1'] : []),
          ...(opts.idrAt?.length ? ['-force_key_frames', opts.idrAt.join(','), '-forced-idr', '1'] : []),
        ]
      : ['-c:v', 'mpeg4', '-q:v', '4', '-pix_fmt', 'yuv420p', '-g', gop, '-bf', '0'];
  const audio = opts.audio ?? true;
  const file = join(dir, opts.name.endsWith('.mp4') ? opts.name : `${opts.name}.mp4`);
  const res = await runTool('ffmpeg', [
    '-hide_banner', '-nostdin', '-y', '-v', 'error',
    '-f', 'lavfi', '-i', graph,
    ...(audio ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${d}`] : []),
    '-map', '0:v', ...(audio ? ['-map', '1:a', '-c:a', 'aac', '-b:a', '64k'] : []),
    ...video,
    '-frames:v', String(frames),
    '-t', d,
    '-f', 'mp4', file,
  ]);
  if (res.code !== 0) throw new Error(`making ${file} failed: ${res.stderr}`);
  return file;
}

/**
 * The frame numbers of every decoded video frame, in display order; null for a frame whose strip
 * does not read as a clean code (a block neither clearly black nor clearly white).
 */
export async function readFrameNumbers(file: string): Promise<(number | null)[]> {
  const info = await probeJson(file);
  const v = (info.streams as any[]).find((s) => s.codec_type === 'video');
  if (!v) throw new Error(`${file} has no video stream`);
  const width = Number(v.width);
  // The strip's middle rows, each block averaged to four samples; the middle two are read, away from blurry edges.
  const filter = `crop=${width}:${STRIP_HEIGHT / 2}:0:${STRIP_HEIGHT / 4},scale=${FRAME_CODE_BITS * 4}:1:flags=area,format=gray`;
  const res = await runTool('ffmpeg', [
    '-hide_banner', '-nostdin', '-v', 'error', '-i', file, '-map', '0:v:0', '-an',
    '-vf', filter, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-',
  ], 300_000);
  if (res.code !== 0) throw new Error(`reading frame numbers of ${file} failed: ${res.stderr}`);
  const per = FRAME_CODE_BITS * 4;
  const out: (number | null)[] = [];
  for (let off = 0; off + per <= res.stdout.length; off += per) {
    let n = 0;
    let clean = true;
    for (let bit = 0; bit < FRAME_CODE_BITS; bit++) {
      // The two middle samples of the block's four.
      const luma = (res.stdout[off + bit * 4 + 1]! + res.stdout[off + bit * 4 + 2]!) / 2;
      if (luma > 170) n |= 1 << bit;
      else if (luma > 80) clean = false;
    }
    out.push(clean ? n : null);
  }
  return out;
}

/** The first index where `got` differs from `want`, or -1 when they are equal. */
export function firstDifference(got: readonly (number | null)[], want: readonly (number | null)[]): number {
  const n = Math.max(got.length, want.length);
  for (let i = 0; i < n; i++) if (got[i] !== want[i]) return i;
  return -1;
}

export interface TrimCheck {
  exact: boolean;
  note: string;
}

const summarize = (frames: readonly (number | null)[]): string =>
  frames.length === 0 ? 'no frames' : `${frames.length} frames ${frames[0]}…${frames[frames.length - 1]}`;

/**
 * An accurate trim of a clip whose frame i is shown at i/fps: the output starts on the first frame
 * at or after `start`, holds consecutive source frames, and lasts `end - start` within one frame.
 */
export function checkAccurateTrim(got: readonly (number | null)[], start: number, end: number, fps: number): TrimCheck {
  const first = Math.ceil(start * fps - 1e-6);
  const want = Math.round((end - start) * fps);
  const consecutive = got.every((n, i) => n === first + i);
  const exact = got[0] === first && consecutive && Math.abs(got.length - want) <= 1;
  return { exact, note: `${summarize(got)}${consecutive ? '' : ` (not consecutive at index ${got.findIndex((n, i) => n !== first + i)})`}; want ${want}±1 frames from ${first}` };
}

/**
 * A copy trim cuts on keyframes: it may start up to one GOP early; its frames are consecutive and
 * reach at least the last frame before `end`.
 */
export function checkCopyTrim(got: readonly (number | null)[], start: number, end: number, fps: number, gopFrames: number): TrimCheck {
  const first = Math.ceil(start * fps - 1e-6);
  const lastWanted = Math.ceil(end * fps - 1e-6) - 1;
  const f = got[0];
  const consecutive = f !== null && f !== undefined && got.every((n, i) => n === f + i);
  const last = got[got.length - 1];
  const exact = consecutive && f! <= first && f! >= first - gopFrames && last !== null && last !== undefined && last >= lastWanted && last <= lastWanted + 1;
  return { exact, note: `${summarize(got)}${consecutive ? '' : ' (not consecutive)'}; want a start in [${first - gopFrames}, ${first}], an end at ${lastWanted} (+1)` };
}

/**
 * Rewrites an mp4 (index at the end, as our copy outputs are) so that its video track's last frame
 * has zero duration, as some muxing paths leave it: the stts box's last run is split off as
 * "1 sample of duration 0". Only box sizes change, so chunk offsets stay valid.
 */
export async function zeroLastVideoFrameDuration(file: string): Promise<void> {
  const buf = await readFile(file);
  const boxes = (from: number, to: number): { type: string; start: number; size: number }[] => {
    const list = [];
    for (let at = from; at + 8 <= to; ) {
      const size = buf.readUInt32BE(at);
      if (size < 8) throw new Error(`${file}: unsupported box size ${size}`);
      list.push({ type: buf.toString('latin1', at + 4, at + 8), start: at, size });
      at += size;
    }
    return list;
  };
  const child = (parent: { start: number; size: number }, type: string) => boxes(parent.start + 8, parent.start + parent.size).find((b) => b.type === type);
  const top = boxes(0, buf.length);
  const moov = top.find((b) => b.type === 'moov');
  const mdat = top.find((b) => b.type === 'mdat');
  if (!moov || !mdat || moov.start < mdat.start) throw new Error(`${file}: needs moov after mdat`);
  for (const trak of boxes(moov.start + 8, moov.start + moov.size).filter((b) => b.type === 'trak')) {
    const mdia = child(trak, 'mdia')!;
    const hdlr = child(mdia, 'hdlr')!;
    if (buf.toString('latin1', hdlr.start + 16, hdlr.start + 20) !== 'vide') continue;
    const minf = child(mdia, 'minf')!;
    const stbl = child(minf, 'stbl')!;
    const stts = child(stbl, 'stts')!;
    const entries = buf.readUInt32BE(stts.start + 12);
    const last = stts.start + 16 + (entries - 1) * 8;
    const count = buf.readUInt32BE(last);
    const patched = Buffer.alloc(stts.size + 8);
    buf.copy(patched, 0, stts.start, last);
    patched.writeUInt32BE(stts.size + 8, 0);
    patched.writeUInt32BE(entries + 1, 12);
    patched.writeUInt32BE(count - 1, last - stts.start);
    patched.writeUInt32BE(buf.readUInt32BE(last + 4), last - stts.start + 4);
    patched.writeUInt32BE(1, last - stts.start + 8);
    patched.writeUInt32BE(0, last - stts.start + 12);
    const out = Buffer.concat([buf.subarray(0, stts.start), patched, buf.subarray(stts.start + stts.size)]);
    for (const box of [moov, trak, mdia, minf, stbl]) out.writeUInt32BE(box.size + 8, box.start);
    await writeFile(file, out);
    return;
  }
  throw new Error(`${file} has no video track`);
}
