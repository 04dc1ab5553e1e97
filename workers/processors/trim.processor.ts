import path from 'node:path';
import { UnrecoverableError } from 'bullmq';
import { isTrimParams } from '../../src/domain/job.js';
import { buildAccurateTrimArgs, buildCopyTrimArgs } from '../../src/media/argv.js';
import { muxerForContainer } from '../../src/media/media-info.js';
import { runFfmpeg } from '../../src/media/runner.js';
import { runSmartCut } from '../../src/media/smart-cut.js';
import { mediaOf } from './media-of.js';
import type { Processor } from './processor.js';

const DURATION_TOLERANCE_SEC = 0.0005;

export const trimProcessor: Processor = async (ctx) => {
  const { params } = ctx.job;
  if (!isTrimParams(params)) throw new UnrecoverableError('A trim job without start and end.');
  const input = ctx.inputs[0]!;
  const info = mediaOf(input);
  if (params.end > info.durationSec + DURATION_TOLERANCE_SEC) {
    throw new UnrecoverableError(`end (${params.end}) is beyond the duration of video ${input.id} (${info.durationSec} s).`);
  }
  const end = Math.min(params.end, info.durationSec);
  const common = { ffmpegPath: ctx.ffmpegPath, expectedDurationSec: end - params.start, onProgress: ctx.onProgress, signal: ctx.signal };
  const source = ctx.inputPaths[0]!;
  if (params.mode === 'copy') {
    const args = buildCopyTrimArgs({ input: source, output: ctx.outputPath, start: params.start, end, muxer: muxerForContainer(info.container) });
    await runFfmpeg({ ...common, args });
    return { method: 'stream-copy', container: info.container };
  }
  if (info.video.codec === 'h264') {
    const outcome = await runSmartCut({
      input: source,
      output: ctx.outputPath,
      start: params.start,
      end,
      info,
      ffmpegPath: ctx.ffmpegPath,
      ffprobePath: ctx.ffprobePath,
      // Pieces are named after the output, so a crashed attempt's leftovers go with the job's temp files.
      scratchDir: path.dirname(ctx.outputPath),
      signal: ctx.signal,
      onProgress: ctx.onProgress,
    });
    if (outcome === 'smart-cut') return { method: 'smart-cut', container: 'mp4' };
  }
  const args = buildAccurateTrimArgs({ input: source, output: ctx.outputPath, start: params.start, end, hasAudio: info.audio !== null, fps: info.video.fps });
  await runFfmpeg({ ...common, args });
  return { method: 'reencode', container: 'mp4' };
};
