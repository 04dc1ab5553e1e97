/**
 * HEVC sources for the smart-cut tests: a frame-coded clip (frame n shows n, see frame-code.ts)
 * re-encoded with x265, small and fast (320x240, ultrafast) since x265 is slow.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeFrameCodedClip } from './frame-code.js';
import { runTool } from './media.js';

export interface HevcClipOptions {
  name: string;
  durationSec: number;
  fps: number;
  /** Keyframe interval in frames (x265 keyint = min-keyint, so no scene-cut keyframes in between). */
  gop: number;
  /** x265's default open GOP (CRA keyframes with RASL leading pictures), or closed GOPs of IDR pictures. */
  openGop: boolean;
  container: 'mp4' | 'mov';
  /** The sample entry: 'hvc1' (parameter sets in the sample entry only, as Apple's files) or ffmpeg's default 'hev1'. */
  tag: 'hvc1' | 'hev1';
  /** yuv420p (Main), yuv420p10le (Main 10), yuv422p or yuv420p12le (range extensions: 4:2:2, Main 12). */
  pixFmt: 'yuv420p' | 'yuv420p10le' | 'yuv422p' | 'yuv420p12le';
  audio: boolean;
  /** x265 preset (default ultrafast); slower ones delay decoding more (more B-frames, in pyramids). */
  preset?: 'ultrafast' | 'fast';
}

/** A frame-coded HEVC clip, with AAC audio (a 440 Hz tone) when asked. Returns its path. */
export async function makeFrameCodedHevcClip(dir: string, opts: HevcClipOptions): Promise<string> {
  // Every frame an H.264 keyframe, so the intermediate adds no GOP structure of its own.
  const intermediate = await makeFrameCodedClip(dir, {
    name: `${opts.name}-h264`,
    durationSec: opts.durationSec,
    fps: opts.fps,
    width: 320,
    height: 240,
    audio: false,
    gop: 1,
  });
  const file = join(dir, `${opts.name}.${opts.container}`);
  const params = ['log-level=error', `keyint=${opts.gop}`, `min-keyint=${opts.gop}`, ...(opts.openGop ? [] : ['open-gop=0'])];
  const res = await runTool('ffmpeg', [
    '-hide_banner', '-nostdin', '-y', '-v', 'error',
    '-i', intermediate,
    // The tone made here, lasting as long as the video (the intermediate's audio stops short of it).
    ...(opts.audio ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${opts.durationSec}`] : []),
    '-map', '0:v',
    ...(opts.audio ? ['-map', '1:a', '-c:a', 'aac', '-b:a', '64k'] : []),
    '-c:v', 'libx265', '-preset', opts.preset ?? 'ultrafast', '-pix_fmt', opts.pixFmt, '-x265-params', params.join(':'),
    '-tag:v', opts.tag,
    '-f', opts.container,
    file,
  ]);
  await rm(intermediate, { force: true });
  if (res.code !== 0) throw new Error(`making ${file} failed: ${res.stderr}`);
  return file;
}
