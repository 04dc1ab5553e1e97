import { makeFrameCodedClip } from './frame-code.js';
import { runTool } from './media.js';

/** The clip with its audio replaced by a tone exactly as long as its video (the frame-coded clips' AAC ends early). */
export async function withFullAudio(file: string, seconds: number): Promise<string> {
  const out = file.replace(/\.mp4$/, '-full-audio.mp4');
  const res = await runTool('ffmpeg', [
    '-v', 'error', '-y', '-i', file, '-f', 'lavfi', '-i', `sine=frequency=300:sample_rate=48000:duration=${seconds}`,
    '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-c:a', 'aac', '-b:a', '64k', out,
  ]);
  if (res.code !== 0) throw new Error(`replacing the audio of ${file} failed: ${res.stderr}`);
  return out;
}

/**
 * A smart concat's usual inputs, frame-coded: a 2 s intro at 320x180 and 25 fps, and a 4 s main at
 * 640x360 and 30 fps with B-frames (its packets decode before they are shown), both with audio.
 */
export async function makeIntroAndMain(dir: string): Promise<{ intro: string; main: string }> {
  const [intro, main] = await Promise.all([
    makeFrameCodedClip(dir, { name: 'intro', durationSec: 2, fps: 25, gop: 25, width: 320, height: 180 }).then((f) => withFullAudio(f, 2)),
    makeFrameCodedClip(dir, { name: 'main', durationSec: 4, fps: 30, gop: 30, bframes: 3, width: 640, height: 360 }).then((f) => withFullAudio(f, 4)),
  ]);
  return { intro, main };
}
