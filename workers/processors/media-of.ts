import { InputError } from '../../src/core/errors.js';
import type { Video } from '../../src/domain/video.js';
import type { MediaInfo } from '../../src/media/media-info.js';

/** The probe stored on a ready video; a video without one cannot be processed, retry or not. */
export function mediaOf(video: Video): MediaInfo {
  if (!video.media || video.durationSec === null) throw new InputError(`Video ${video.id} has no probed media information.`);
  return video.media as unknown as MediaInfo;
}
