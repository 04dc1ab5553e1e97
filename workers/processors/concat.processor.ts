import { writeFile } from 'node:fs/promises';
import { buildConcatCopyArgs, buildConcatFilterArgs, buildConcatList, canConcatByCopy } from '../../src/media/argv.js';
import { muxerForContainer } from '../../src/media/media-info.js';
import { runFfmpeg } from '../../src/media/runner.js';
import { mediaOf } from './media-of.js';
import type { Processor } from './processor.js';

export const concatProcessor: Processor = async (ctx) => {
  const infos = ctx.inputs.map(mediaOf);
  const expectedDurationSec = infos.reduce((sum, i) => sum + i.durationSec, 0);
  const common = { ffmpegPath: ctx.ffmpegPath, expectedDurationSec, onProgress: ctx.onProgress, signal: ctx.signal, logger: ctx.logger };
  if (canConcatByCopy(infos)) {
    // The list holds only server-generated storage paths, never client text.
    await writeFile(ctx.scratchPath, buildConcatList(ctx.inputPaths));
    const container = infos[0]!.container;
    await runFfmpeg({ ...common, args: buildConcatCopyArgs({ listFile: ctx.scratchPath, output: ctx.outputPath, muxer: muxerForContainer(container) }) });
    return { method: 'concat-copy', container, reencodedSec: 0 };
  }
  const inputs = ctx.inputPaths.map((path, i) => ({ path, info: infos[i]! }));
  await runFfmpeg({ ...common, args: buildConcatFilterArgs({ inputs, output: ctx.outputPath }) });
  return { method: 'concat-filter', container: 'mp4' };
};
