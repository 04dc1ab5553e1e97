import path from 'node:path';
import { buildAccurateTrimArgs } from '../../src/media/argv.js';
import { runCopyTrim } from '../../src/media/copy-trim.js';
import { runFfmpeg } from '../../src/media/runner.js';
import { runSmartCut } from '../../src/media/smart-cut.js';
import { mediaOf } from './media-of.js';
import type { Processor } from './processor.js';

export const trimProcessor: Processor = async (ctx) => {
  const job = ctx.job;
  if (job.type !== 'trim') throw new Error(`the trim processor got a ${job.type} job`);
  const { params } = job;
  const info = mediaOf(ctx.inputs[0]!);
  // The lifecycle checked the range against the input; an end equal to its (rounded) duration may pass it by a hair.
  const end = Math.min(params.end, info.durationSec);
  const common = { ffmpegPath: ctx.ffmpegPath, expectedDurationSec: end - params.start, onProgress: ctx.onProgress, signal: ctx.signal, logger: ctx.logger };
  const source = ctx.inputPaths[0]!;
  const cut = {
    input: source,
    output: ctx.outputPath,
    start: params.start,
    end,
    info,
    ffmpegPath: ctx.ffmpegPath,
    ffprobePath: ctx.ffprobePath,
    signal: ctx.signal,
    onProgress: ctx.onProgress,
    logger: ctx.logger,
  };
  if (params.mode === 'copy') {
    await runCopyTrim(cut);
    return { method: 'stream-copy', container: info.container, reencodedSec: 0, fallbackReason: null, streamsCopiedFrom: info };
  }
  let fallbackReason = `codec ${info.video.codec} is not H.264 or HEVC`;
  if (info.video.codec === 'h264' || info.video.codec === 'hevc') {
    let reencodedSec = 0;
    const outcome = await runSmartCut({
      ...cut,
      // Pieces are named after the output, so a crashed attempt's leftovers go with the job's temp files.
      scratchDir: path.dirname(ctx.outputPath),
      onUnsupported: (reason) => (fallbackReason = reason),
      onDone: (summary) => (reencodedSec = summary.reencodedSec),
    });
    if (outcome === 'smart-cut') return { method: 'smart-cut', container: 'mp4', reencodedSec, fallbackReason: null };
  }
  const args = buildAccurateTrimArgs({ input: source, output: ctx.outputPath, start: params.start, end, hasAudio: info.audio !== null, fps: info.video.fps, videoStartOffsetSec: info.video.startOffsetSec ?? 0, variableFrameRate: info.video.variableFrameRate ?? false });
  await runFfmpeg({ ...common, args });
  return { method: 'reencode', container: 'mp4', fallbackReason };
};
