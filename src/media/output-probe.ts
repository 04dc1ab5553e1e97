import { pathArg } from './argv.js';
import type { MediaLogger } from './logger.js';
import type { MediaInfo } from './media-info.js';
import { parseProbeOutput, probeFrames, probeOutput, type FrameSummary } from './probe.js';
import { captureProcess } from './runner.js';

export type OutputProbe = { ok: true; info: MediaInfo; frames: FrameSummary | null } | { ok: false; reason: string };

const TIMEOUT_MS = 30_000;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const finite = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};

/** The first video stream's start time and frame count from `-show_streams` JSON; null without a recorded count. */
export function framesFromStreams(json: unknown): FrameSummary | null {
  if (!isObject(json) || !Array.isArray(json.streams)) return null;
  const video = json.streams.find((s): s is Json => isObject(s) && s.codec_type === 'video');
  const count = video ? finite(video.nb_frames) : null;
  if (!video || count === null || count <= 0) return null;
  const start = finite(video.start_time);
  return { firstFrameSec: start === null ? 0 : Math.round(start * 1e6) / 1e6, frameCount: count };
}

/**
 * Everything the runner records about an output our own FFmpeg wrote, from one ffprobe run: its
 * metadata (as probeOutput reads it) and, where the container records it (mp4, mov), the first
 * frame's time and the frame count. Only where it does not (matroska), or the file has no duration
 * in its headers, are the separate probes run.
 */
export async function probeOutputOnce(
  file: string,
  opts: { ffprobePath: string; signal?: AbortSignal; logger?: MediaLogger | undefined },
): Promise<OutputProbe> {
  const res = await captureProcess(opts.ffprobePath, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', pathArg(file)], {
    tool: 'ffprobe',
    signal: opts.signal,
    timeoutMs: TIMEOUT_MS,
    logger: opts.logger,
  });
  let json: unknown = null;
  if (res.exitCode === 0 && !res.timedOut && !res.stdoutOverflow) {
    try {
      json = JSON.parse(res.stdout);
    } catch {
      json = null;
    }
  }
  const parsed = json === null ? null : parseProbeOutput(json, { acceptSingleFrame: true });
  const frames = framesFromStreams(json);
  if (parsed?.ok && frames) return { ok: true, info: parsed.info, frames };
  // The rare paths: probeOutput tells why a file does not probe, and finds a duration the headers lack.
  const probed = await probeOutput(file, { ffprobePath: opts.ffprobePath, signal: opts.signal, logger: opts.logger });
  if (!probed.ok) return probed;
  return { ok: true, info: probed.info, frames: await probeFrames(file, { ffprobePath: opts.ffprobePath, signal: opts.signal, logger: opts.logger }) };
}
