import { stat } from 'node:fs/promises';
import type { MediaInfo } from './media-info.js';
import { isMovFamilyMuxer, muxerForContainer } from './media-info.js';
import { movStartTime, readMovIndex } from './mov-index.js';
import type { OutputProbe } from './output-probe.js';

/**
 * What ffprobe would say of an mp4/mov whose streams were stream-copied from `source`, read from
 * its sample tables instead (no process to start): the codecs, sizes and rates are the source's;
 * durations, start times, frame count, size and bit rate are the output's own, as ffprobe reckons
 * them (format duration from the movie header, the video's from its media header). Null when the
 * tables cannot be read that way, and the caller probes.
 */
export async function describeCopiedOutput(file: string, source: MediaInfo): Promise<OutputProbe | null> {
  if (!isMovFamilyMuxer(muxerForContainer(source.container))) return null;
  const [index, { size }] = await Promise.all([readMovIndex(file), stat(file)]);
  if (!index || !(index.movieDuration > 0)) return null;
  const video = index.tracks.find((t) => t.handler === 'vide');
  const audioTracks = index.tracks.filter((t) => t.handler === 'soun').length;
  const start = movStartTime(index);
  if (!video || video.startPts === null || start === null || video.dts.length === 0) return null;
  if ((source.audio === null) !== (audioTracks === 0)) return null;
  const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
  const durationSec = round6(index.movieDuration / index.movieTimescale);
  const firstFrameSec = round6(video.startPts / video.timescale);
  const info: MediaInfo = {
    ...source,
    durationSec,
    sizeBytes: size,
    bitRate: durationSec > 0 ? Math.floor((size * 8) / durationSec) : null,
    video: {
      ...source.video,
      timeBase: `1/${video.timescale}`,
      frameCount: video.dts.length,
      durationSec: round6(video.mediaDuration / video.timescale),
      startOffsetSec: round6(firstFrameSec - start),
    },
  };
  return { ok: true, info, frames: { firstFrameSec, frameCount: video.dts.length } };
}
