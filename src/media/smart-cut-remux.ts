import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { COMMON_ARGS, parseFraction, pathArg } from './argv.js';
import { runCopyTrim } from './copy-trim.js';
import { MediaInputError } from './errors.js';
import { extensionForContainer, type MediaInfo } from './media-info.js';
import { probeMedia } from './probe.js';
import { runFfmpeg } from './runner.js';
import type { SmartCutOutcome, SmartCutParams } from './smart-cut.js';

/** Containers whose sample tables the smart cut reads, seeks and copies from directly. */
const MOV_FAMILY = new Set(['mp4', 'mov']);
/** Sources whose span is first stream-copied into a scratch mp4, which is then smart-cut. */
const REMUXED = new Set(['matroska', 'mpegts']);
/** Audio codecs FFmpeg 5.1's mp4 muxer takes as they are (FLAC only with -strict experimental). */
const MP4_AUDIO = new Set(['aac', 'mp3', 'mp2', 'ac3', 'eac3', 'opus', 'alac']);

export type SmartCutRoute = { via: 'direct' | 'remux' } | { via: 'none'; reason: string };

/**
 * How a source is smart-cut. The copy of the middle relies on exact decode timestamps and on a
 * seek landing on the keyframe asked for: the mov family has both, unless an edit list starts inside
 * a GOP (its seeks then land a keyframe early, and runSmartCut takes the remux route after all).
 * Matroska stores no decode timestamps (the parser guesses them, and none for the first packets
 * after a seek), and an MPEG-TS seek bisects byte positions and lands near, not on, a keyframe. The
 * clean copy trim copies such a span exactly, so the smart cut works on that copy, as an mp4.
 */
export function smartCutRoute(info: MediaInfo): SmartCutRoute {
  if (MOV_FAMILY.has(info.container)) return { via: 'direct' };
  if (!REMUXED.has(info.container)) return { via: 'none', reason: `container ${info.container} is not mp4, mov, matroska or mpegts` };
  if (info.audio && !MP4_AUDIO.has(info.audio.codec)) return { via: 'none', reason: `audio codec ${info.audio.codec} cannot be copied into mp4` };
  return { via: 'remux' };
}

/**
 * `ffmpeg` rewriting a copied span into an mp4 as it is: the first video and audio streams, the
 * video in its source's timescale. (The mp4 muxer would otherwise raise a Matroska millisecond
 * timescale to 16000, where the frames' 33/34 ms steps stop looking like a constant rate.)
 */
export function buildSpanRemuxArgs(p: { input: string; output: string; videoTimescale: number }): string[] {
  if (!(Number.isSafeInteger(p.videoTimescale) && p.videoTimescale > 0)) throw new MediaInputError(`bad timescale ${p.videoTimescale}`);
  return [
    ...COMMON_ARGS,
    '-i',
    pathArg(p.input),
    '-map',
    '0:v:0',
    '-map',
    '0:a:0?',
    '-c',
    'copy',
    '-video_track_timescale',
    String(p.videoTimescale),
    '-f',
    'mp4',
    pathArg(p.output),
  ];
}

/**
 * Smart cut of a copy of the span. The clean copy trim writes the source's packets from the keyframe
 * (an IDR picture, for an open GOP) before `start` to the first clean cut point after `end`, in the
 * source's container: it places packets by their time in the source's time base, which the mp4
 * muxer may change. That is then rewritten into an mp4 starting on the keyframe, and `cut`
 * smart-cuts the mp4, the times moved by where it starts.
 */
export async function smartCutViaRemux(
  p: SmartCutParams,
  cut: (params: SmartCutParams) => Promise<SmartCutOutcome>,
): Promise<SmartCutOutcome> {
  const unsupported = (reason: string): SmartCutOutcome => {
    p.onUnsupported?.(reason);
    return 'unsupported';
  };
  const timeBase = parseFraction(p.info.video.timeBase);
  if (!timeBase || timeBase.num !== 1) return unsupported(`unusable time base ${String(p.info.video.timeBase)}`);
  const prefix = join(p.scratchDir, `${basename(p.output)}.smart-cut-span-${randomBytes(4).toString('hex')}`);
  const copy = `${prefix}.copy.${extensionForContainer(p.info.container)}`;
  // A copy from the mov family is an mp4 already (starting on its keyframe, no edit list to miss it).
  const remuxed = MOV_FAMILY.has(p.info.container) ? copy : `${prefix}.mp4`;
  // Nothing is reported until the smart cut of the span is sure to go on (see runSmartCut).
  const quiet = { ffmpegPath: p.ffmpegPath, signal: p.signal, logger: p.logger, onProgress: () => {} };
  try {
    const copied = await runCopyTrim({ ...quiet, input: p.input, output: copy, start: p.start, end: p.end, info: p.info, ffprobePath: p.ffprobePath });
    if (!copied.clean) return unsupported(`the span cannot be copied exactly (${copied.reason})`);
    const length = copied.keptToSec - copied.keptFromSec;
    if (remuxed !== copy) {
      await runFfmpeg({ ...quiet, args: buildSpanRemuxArgs({ input: copy, output: remuxed, videoTimescale: timeBase.den }), expectedDurationSec: length });
      // One copy of the span on disk at a time.
      await rm(copy, { force: true });
    }
    const probed = await probeMedia(remuxed, { ffprobePath: p.ffprobePath, signal: p.signal, skipDecodeCheck: true, acceptSingleFrame: true, logger: p.logger });
    if (!probed.ok) return unsupported(`the copied span cannot be read (${probed.reason})`);
    const start = Math.max(0, p.start - copied.keptFromSec);
    return await cut({ ...p, input: remuxed, info: probed.info, start, end: p.end - copied.keptFromSec });
  } finally {
    await Promise.all([copy, remuxed].map((file) => rm(file, { force: true })));
  }
}
