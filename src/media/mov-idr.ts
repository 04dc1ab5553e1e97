import { open } from 'node:fs/promises';
import type { MovIndex } from './mov-index.js';

/** A keyframe this large is not read to tell its NAL types (a listing by ffmpeg does instead). */
const MAX_SAMPLE_BYTES = 32 * 1024 * 1024;

/** NAL unit types that start a clean decode: an H.264 IDR slice; an HEVC IRAP picture (BLA, IDR, CRA). */
function startsCleanDecode(codec: 'h264' | 'hevc', header: number): boolean {
  if (codec === 'h264') return (header & 0x1f) === 5;
  const type = (header >> 1) & 0x3f;
  return type >= 16 && type <= 21;
}

function holdsCleanStart(sample: Buffer, codec: 'h264' | 'hevc', lengthSize: number): boolean | null {
  let at = 0;
  while (at + lengthSize < sample.length) {
    const length = sample.readUIntBE(at, lengthSize);
    if (length === 0 || at + lengthSize + length > sample.length) return null;
    if (startsCleanDecode(codec, sample.readUInt8(at + lengthSize))) return true;
    at += lengthSize + length;
  }
  return at === sample.length ? false : null;
}

/**
 * The presentation times (absolute seconds, the source's clock) of the keyframes in [fromSec, untilSec]
 * that start a clean decode (H.264: hold an IDR slice; HEVC: an IRAP picture), read from the mp4/mov's
 * sample tables (`index`, as readMovIndex read them from `file`) and the keyframes' own NAL headers:
 * no process to start. Null when the file is no mp4/mov whose tables and samples can be read so.
 */
export async function movCleanStartTimes(file: string, index: MovIndex | null, fromSec: number, untilSec: number): Promise<number[] | null> {
  const video = index?.tracks.find((t) => t.handler === 'vide');
  if (!video || !video.layout || !video.nal) return null;
  const { layout, nal } = video;
  const handle = await open(file, 'r').catch(() => null);
  if (!handle) return null;
  try {
    const times: number[] = [];
    for (let i = 0; i < video.dts.length; i++) {
      const sec = video.pts[i]! / video.timescale;
      if (video.key[i] !== 1 || sec < fromSec - 1e-6 || sec > untilSec + 1e-6) continue;
      const size = layout.size[i]!;
      if (size > MAX_SAMPLE_BYTES) return null;
      const sample = Buffer.alloc(size);
      const { bytesRead } = await handle.read(sample, 0, size, layout.offset[i]!);
      if (bytesRead !== size) return null;
      const clean = holdsCleanStart(sample, nal.codec, nal.lengthSize);
      if (clean === null) return null;
      if (clean) times.push(sec);
    }
    return times;
  } catch {
    // A file that changed under the reading: the caller lists with ffmpeg instead.
    return null;
  } finally {
    await handle.close();
  }
}
