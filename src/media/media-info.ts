export interface VideoStreamInfo {
  codec: string;
  profile: string | null;
  /** Display width: already swapped when the stream carries a ±90° rotation. */
  width: number;
  /** Display height: already swapped when the stream carries a ±90° rotation. */
  height: number;
  /** Frames per second, rounded to 3 decimals (e.g. 29.97). */
  fps: number;
  /** The ffprobe fraction the fps comes from, e.g. "30000/1001". */
  frameRate: string;
  pixFmt: string | null;
  sar: string | null;
  timeBase: string | null;
  hasBFrames: boolean;
  /** The video stream's own frame count (nb_frames) when the container records it. */
  frameCount?: number | null;
  /** The video stream's own duration, which can be shorter than the file's (audio that outlasts it). */
  durationSec?: number | null;
  /**
   * Seconds from the file's start (ffprobe's format start_time, where input seeking counts from)
   * to the first video frame: non-zero in MPEG-TS, whose audio often starts first.
   */
  startOffsetSec?: number;
  /**
   * The frames are not evenly spaced (average and base rate disagree): `fps` is the average, and a
   * trim keeps the source's frame times instead of a constant rate. Absent means constant.
   */
  variableFrameRate?: boolean;
  /**
   * A VFR stream's base rate (ffprobe's r_frame_rate, e.g. "30/1" for a capture that dropped frames)
   * when it is a plausible frame rate rather than a timestamp grid (90000/1); absent otherwise.
   */
  nominalFrameRate?: string;
  /** Display rotation from the stream's display matrix, normalised to 0, 90, 180 or 270; absent means 0. */
  rotation?: number;
}

export interface AudioStreamInfo {
  codec: string;
  sampleRate: number;
  channels: number;
  channelLayout: string | null;
}

export interface MediaInfo {
  /** "mp4" | "mov" | "matroska" | "webm" | "avi" | "mpegts" | "flv" | "ogg" | ... */
  container: string;
  /** ffprobe's raw format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2". */
  formatName: string;
  durationSec: number;
  sizeBytes: number;
  bitRate: number | null;
  video: VideoStreamInfo;
  audio: AudioStreamInfo | null;
}

interface ContainerFormat {
  extension: string;
  muxer: string;
}

const CONTAINERS: Readonly<Record<string, ContainerFormat>> = {
  mp4: { extension: 'mp4', muxer: 'mp4' },
  mov: { extension: 'mov', muxer: 'mov' },
  matroska: { extension: 'mkv', muxer: 'matroska' },
  webm: { extension: 'webm', muxer: 'webm' },
  avi: { extension: 'avi', muxer: 'avi' },
  mpegts: { extension: 'ts', muxer: 'mpegts' },
  flv: { extension: 'flv', muxer: 'flv' },
  ogg: { extension: 'ogv', muxer: 'ogg' },
  asf: { extension: 'wmv', muxer: 'asf' },
};

// Matroska can carry nearly any codec, so a stream-copied file from an exotic
// container (mxf, nut, mpeg-ps, ...) still has somewhere to go.
const FALLBACK: ContainerFormat = { extension: 'mkv', muxer: 'matroska' };

function lookup(container: string): ContainerFormat {
  return Object.hasOwn(CONTAINERS, container) ? CONTAINERS[container]! : FALLBACK;
}

/** File extension (without dot) for a MediaInfo.container value. */
export function extensionForContainer(container: string): string {
  return lookup(container).extension;
}

/** The ffmpeg `-f` muxer name that writes a MediaInfo.container value. */
export function muxerForContainer(container: string): string {
  return lookup(container).muxer;
}

/** True for muxers that understand `-movflags +faststart`. */
export function isMovFamilyMuxer(muxer: string): boolean {
  return muxer === 'mp4' || muxer === 'mov';
}
