import type { MediaInfo } from '../media/media-info.js';
import type { ProbedMetadata } from '../domain/video.js';

/** Maps a probe to what a video record stores; `media` keeps the details the concat copy check needs. */
export function toProbedMetadata(info: MediaInfo): ProbedMetadata {
  return {
    sizeBytes: info.sizeBytes,
    durationSec: info.durationSec,
    width: info.video.width,
    height: info.video.height,
    fps: info.video.fps,
    videoCodec: info.video.codec,
    audioCodec: info.audio?.codec ?? null,
    container: info.container,
    media: info as unknown as Record<string, unknown>,
  };
}
