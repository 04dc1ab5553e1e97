import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildConcatCopyArgs, buildConcatFilterArgs, buildConcatList, canConcatByCopy, concatCopyJoinDuration, concatFilterTiming } from '../../src/media/argv.js';
import { muxerForContainer } from '../../src/media/media-info.js';
import { runFfmpeg } from '../../src/media/runner.js';
import { runSmartConcat } from '../../src/media/smart-concat.js';
import { mediaOf } from './media-of.js';
import type { Processor } from './processor.js';

export const concatProcessor: Processor = async (ctx) => {
  const infos = ctx.inputs.map(mediaOf);
  const expectedDurationSec = infos.reduce((sum, i) => sum + i.durationSec, 0);
  const common = { ffmpegPath: ctx.ffmpegPath, expectedDurationSec, onProgress: ctx.onProgress, signal: ctx.signal, logger: ctx.logger };
  if (canConcatByCopy(infos)) {
    // The list holds only server-generated storage paths, never client text.
    await writeFile(ctx.scratchPath, buildConcatList(ctx.inputPaths, infos.map(concatCopyJoinDuration)));
    const container = infos[0]!.container;
    await runFfmpeg({ ...common, args: buildConcatCopyArgs({ listFile: ctx.scratchPath, output: ctx.outputPath, muxer: muxerForContainer(container) }) });
    return { method: 'concat-copy', container, reencodedSec: 0, reencodedInputs: [], streamsCopiedFrom: infos[0]! };
  }
  const inputs = ctx.inputPaths.map((file, i) => ({ path: file, info: infos[i]! }));
  const smart = await runSmartConcat({
    inputs,
    output: ctx.outputPath,
    ffmpegPath: ctx.ffmpegPath,
    ffprobePath: ctx.ffprobePath,
    // Pieces are named after the output, so a crashed attempt's leftovers go with the job's temp files.
    scratchDir: path.dirname(ctx.outputPath),
    signal: ctx.signal,
    onProgress: ctx.onProgress,
    logger: ctx.logger,
  });
  if (smart.ok) return { method: 'concat-smart', container: 'mp4', reencodedSec: smart.reencodedSec, reencodedInputs: smart.reencodedInputs, fallbackReason: null };
  await runFfmpeg({ ...common, args: buildConcatFilterArgs({ inputs, output: ctx.outputPath }) });
  const { rateText, vfrInputs } = concatFilterTiming(infos);
  return { method: 'concat-filter', container: 'mp4', reencodedInputs: inputs.map((_, i) => i), fallbackReason: smart.reason, normalizedFrameRate: rateText, vfrInputs };
};
