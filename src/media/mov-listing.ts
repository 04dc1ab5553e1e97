import { movStartTime, readMovIndex, trackPackets, type MovTrack } from './mov-index.js';
import type { StreamPacket } from './smart-cut-streams.js';

export interface MovListing {
  /** ffprobe's format start_time, seconds. */
  origin: number;
  video: MovTrack;
  audio: MovTrack | null;
  audioTracks: number;
  /**
   * Per window: the video packets from the last keyframe shown at or before its start, and the
   * audio packets around it, in decode order; every frame shown before `trustedUntilSec`
   * (absolute) is among them.
   */
  windows: { packets: StreamPacket[]; trustedUntilSec: number }[];
}

/** How far a frame can be shown after packets decoded after it: the listing reaches this much further. */
const REORDER_SEC = 1;

/** The first index in [from, n) whose value exceeds `limit` (values ascending), or n. */
function firstAbove(values: Float64Array, limit: number, from = 0): number {
  let i = from;
  while (i < values.length && values[i]! <= limit) i++;
  return i;
}

function videoRange(video: MovTrack, fromTicks: number, toTicks: number): [number, number] {
  let start = 0;
  for (let i = 0; i < video.dts.length; i++) if (video.key[i] === 1 && video.pts[i]! <= fromTicks) start = i;
  return [start, firstAbove(video.dts, toTicks + 2 * REORDER_SEC * video.timescale, start)];
}

function audioRange(audio: MovTrack, fromSec: number, toSec: number): [number, number] {
  const first = firstAbove(audio.pts, (fromSec - REORDER_SEC) * audio.timescale);
  return [Math.max(0, first - 1), firstAbove(audio.pts, (toSec + 2 * REORDER_SEC) * audio.timescale, first)];
}

/**
 * An mp4/mov's packets in the given windows (seconds from the first video frame), as ffprobe would
 * list them, read from its sample tables instead (no process to start). Null when the tables
 * cannot be read that way, or the video does not last past every window by a second: planning
 * then never meets the last packets, whose durations ffmpeg can give differently.
 */
export async function movListing(file: string, windows: readonly { from: number; to: number }[]): Promise<MovListing | null> {
  const index = await readMovIndex(file);
  if (!index) return null;
  const video = index.tracks.find((t) => t.handler === 'vide');
  const origin = movStartTime(index);
  if (!video || origin === null || video.startPts === null || video.dts.length === 0) return null;
  const firstFrame = video.startPts / video.timescale;
  let lastPts = Number.NEGATIVE_INFINITY;
  for (const pts of video.pts) lastPts = Math.max(lastPts, pts);
  const reach = Math.max(...windows.map((w) => w.to));
  if (lastPts / video.timescale - firstFrame < reach + 1) return null;
  const audioTracks = index.tracks.filter((t) => t.handler === 'soun');
  const audio = audioTracks[0] ?? null;
  return {
    origin,
    video,
    audio,
    audioTracks: audioTracks.length,
    windows: windows.map(({ from, to }) => {
      const [fromSec, toSec] = [firstFrame + from, firstFrame + to];
      const packets = trackPackets(video, ...videoRange(video, fromSec * video.timescale, toSec * video.timescale));
      if (audio) packets.push(...trackPackets(audio, ...audioRange(audio, fromSec, toSec)));
      return { packets, trustedUntilSec: toSec };
    }),
  };
}
