import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeFrameCodedClip } from '../../test/helpers/frame-code.js';

export const FPS = 25;

export interface SourceClip {
  name: string;
  file: string;
  durationSec: number;
  frames: number;
  gopFrames: number;
  codec: 'h264' | 'mpeg4';
  audio: boolean;
}

// One resolution and frame rate for all: a concat of mixed codecs is re-encoded to the first
// input's size and rate, so the frame-code strip stays where the reader looks for it.
const SPECS: Omit<SourceClip, 'file' | 'frames'>[] = [
  { name: 'h264-12s', durationSec: 12, gopFrames: 50, codec: 'h264', audio: true },
  { name: 'h264-20s-gop25', durationSec: 20, gopFrames: 25, codec: 'h264', audio: true },
  { name: 'h264-8s-silent', durationSec: 8, gopFrames: 50, codec: 'h264', audio: false },
  // MPEG-4 Part 2 cannot be smart-cut: an accurate trim re-encodes it, so those jobs run for seconds.
  { name: 'mpeg4-30s', durationSec: 30, gopFrames: 50, codec: 'mpeg4', audio: true },
  { name: 'mpeg4-16s', durationSec: 16, gopFrames: 50, codec: 'mpeg4', audio: true },
];

/** The frame-coded source clips, made once and kept under the OS temp dir between runs. */
export async function sourceClips(log: (m: string) => void): Promise<SourceClip[]> {
  const dir = path.join(os.tmpdir(), 'vj-soak-media-v1');
  await mkdir(dir, { recursive: true });
  const clips: SourceClip[] = [];
  for (const s of SPECS) {
    const file = path.join(dir, `${s.name}.mp4`);
    if (!existsSync(file)) {
      log(`making source clip ${s.name}`);
      const part = await makeFrameCodedClip(dir, { name: `${s.name}.part.mp4`, durationSec: s.durationSec, fps: FPS, codec: s.codec, audio: s.audio, gop: s.gopFrames });
      await rename(part, file);
    }
    clips.push({ ...s, file, frames: Math.round(s.durationSec * FPS) });
  }
  return clips;
}
