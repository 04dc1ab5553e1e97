/**
 * Frame-coded sources of the kinds the smart cut first refused (issue 14): an mp4 whose edit list
 * starts inside a GOP, Matroska, MPEG-TS with a start time, and an open-GOP H.264 mp4. All at 30 fps
 * with a keyframe every second and sound for the whole picture.
 */
import { join } from 'node:path';
import { makeFrameCodedClip } from './frame-code.js';
import { runTool } from './media.js';

export const SOURCE_FPS = 30;
const SMALL = { width: 160, height: 96 };

async function ffmpeg(args: string[]): Promise<void> {
  const res = await runTool('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-v', 'error', ...args]);
  if (res.code !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${res.stderr}`);
}

/** The picture of `video` with a tone as long as it (the frame-coded clips' own sound stops early). */
async function withFullSound(dir: string, video: string, durationSec: number, name: string): Promise<string> {
  const out = join(dir, `${name}.mp4`);
  await ffmpeg([
    '-i', video, '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${durationSec + 1}`,
    '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-c:a', 'aac', '-b:a', '64k', '-t', String(durationSec), '-f', 'mp4', out,
  ]);
  return out;
}

/** H.264 with two B-frames, 6 s, keyframes (IDR pictures) every `gopSec` seconds. */
export async function makeClosedGopSource(dir: string, name: string, gopSec = 1): Promise<string> {
  const gop = SOURCE_FPS * gopSec;
  const video = await makeFrameCodedClip(dir, { name: `${name}-picture`, durationSec: 6, fps: SOURCE_FPS, gop, bframes: 2, audio: false, ...SMALL });
  return withFullSound(dir, video, 6, name);
}

/**
 * `source` stream-copied from `skipSec` on: the mp4 muxer keeps the GOP the copy starts in and
 * writes an edit list that starts inside it, so frame i of the result shows number i + skipSec·fps.
 */
export async function makeEditListMp4(dir: string, source: string, skipSec: number): Promise<string> {
  const out = join(dir, 'edit-list.mp4');
  await ffmpeg(['-ss', String(skipSec), '-i', source, '-c', 'copy', '-f', 'mp4', out]);
  return out;
}

export async function makeMatroska(dir: string, source: string, name = 'source'): Promise<string> {
  const out = join(dir, `${name}.mkv`);
  await ffmpeg(['-i', source, '-c', 'copy', '-f', 'matroska', out]);
  return out;
}

/** MPEG-TS whose timestamps start at `startSec` (no mux delay on top). */
export async function makeTransportStream(dir: string, source: string, startSec: number, name = 'source'): Promise<string> {
  const out = join(dir, `${name}.ts`);
  await ffmpeg(['-i', source, '-c', 'copy', '-muxdelay', '0', '-muxpreload', '0', '-output_ts_offset', String(startSec), '-f', 'mpegts', out]);
  return out;
}

/**
 * x264 open GOP, 8 s, three B-frames: an I-frame every second whose leading B-frames refer to the
 * GOP before, and IDR pictures only at 0 and at `idrAt`.
 */
export async function makeOpenGopSource(dir: string, idrAt: number[]): Promise<string> {
  const video = await makeFrameCodedClip(dir, {
    name: 'open-gop-picture', durationSec: 8, fps: SOURCE_FPS, gop: SOURCE_FPS, bframes: 3, openGop: true, idrAt, audio: false, ...SMALL,
  });
  return withFullSound(dir, video, 8, 'open-gop');
}
