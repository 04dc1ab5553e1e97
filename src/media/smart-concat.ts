import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { MediaLogger } from './logger.js';
import type { MediaInfo } from './media-info.js';
import { captureProcess, createProgressReporter, runFfmpeg } from './runner.js';
import { buildSmartCutConcatList, type ConcatPiece } from './smart-cut-args.js';
import { buildConcatStreamProbeArgs, buildFirstVideoPacketArgs, buildSmartConcatEncodeArgs, buildSmartConcatJoinArgs, parseConcatStreamDetails } from './smart-concat-args.js';
import { buildLeadingAudioPacketsArgs, joinTimesSec, parsePrimingPackets, type AudioJoin } from './smart-concat-audio.js';
import { planSmartConcat, type ConcatStreamDetails, type SmartConcatPlan } from './smart-concat-plan.js';

export interface SmartConcatSource {
  path: string;
  /** The probe stored with the input video. */
  info: MediaInfo;
}

interface ProbeParams {
  inputs: SmartConcatSource[];
  ffprobePath: string;
  signal: AbortSignal;
  logger?: MediaLogger | undefined;
}

export interface SmartConcatParams extends ProbeParams {
  output: string;
  ffmpegPath: string;
  /** Where the re-encoded pieces go (named after `output`); they are removed before returning. */
  scratchDir: string;
  onProgress: (percent: number) => void;
}

export type SmartConcatOutcome = { ok: true; reencodedInputs: number[]; reencodedSec: number } | { ok: false; reason: string };

const PROBE_TIMEOUT_MS = 30_000;
// Relative cost of a second of media: re-encoding it, and copying it in the join (see smart-cut.ts).
const ENCODE_COST = 1;
const JOIN_COST = 0.0015;

async function probeJson(binary: string, args: string[], p: ProbeParams): Promise<unknown> {
  const res = await captureProcess(binary, args, { tool: 'ffprobe', signal: p.signal, timeoutMs: PROBE_TIMEOUT_MS, logger: p.logger });
  if (res.exitCode !== 0 || res.timedOut || res.stdoutOverflow) return null;
  try {
    return JSON.parse(res.stdout) as unknown;
  } catch {
    return null;
  }
}

/** Two header-only ffprobe runs per distinct input file, all side by side. */
async function probeDetails(p: ProbeParams): Promise<(ConcatStreamDetails | null)[]> {
  const distinct = [...new Set(p.inputs.map((input) => input.path))];
  const details = new Map(
    await Promise.all(
      distinct.map(async (path) => {
        const [streams, packet] = await Promise.all([
          probeJson(p.ffprobePath, buildConcatStreamProbeArgs(path), p),
          probeJson(p.ffprobePath, buildFirstVideoPacketArgs(path), p),
        ]);
        return [path, parseConcatStreamDetails(streams, packet)] as const;
      }),
    ),
  );
  return p.inputs.map((input) => details.get(input.path) ?? null);
}

/** Where each piece after the first starts in the join, with its priming packets (one small probe per distinct file). */
async function audioJoinsOf(pieces: readonly ConcatPiece[], p: ProbeParams): Promise<AudioJoin[]> {
  const later = pieces.slice(1);
  const distinct = [...new Set(later.map((piece) => piece.path))];
  const priming = new Map(await Promise.all(distinct.map(async (path) => [path, parsePrimingPackets(await probeJson(p.ffprobePath, buildLeadingAudioPacketsArgs(path), p))] as const)));
  const starts = joinTimesSec(pieces.map((piece) => piece.duration));
  return later.map((piece, i) => ({ atSec: starts[i]!, primingSec: priming.get(piece.path) ?? [] }));
}

/** The plan a smart concat of these inputs would follow, from the same probes a run makes, writing nothing. */
export async function forecastSmartConcat(p: ProbeParams): Promise<SmartConcatPlan> {
  const details = await probeDetails(p);
  return planSmartConcat(p.inputs.map((input, i) => ({ ...input, details: details[i]! })));
}

/**
 * Concatenation that re-encodes only the inputs that differ from the target (the inputs holding
 * most of the output, whose parameters they are matched to) and joins everything by stream copy
 * with the concat demuxer. Resolves `ok: false`, having written nothing, when no input can be the
 * target; the caller then re-encodes everything with the concat filter.
 */
export async function runSmartConcat(p: SmartConcatParams): Promise<SmartConcatOutcome> {
  const plan = await forecastSmartConcat(p);
  if (!plan.ok) return plan;

  const prefix = join(p.scratchDir, `${basename(p.output)}.smart-concat-${randomBytes(4).toString('hex')}`);
  const listFile = `${prefix}.ffconcat`;
  const piecePaths = new Map<number, string>();
  for (const step of plan.steps) {
    if (step.kind === 'encode' && step.piece === step.input) piecePaths.set(step.input, `${prefix}.${step.input}.mp4`);
  }
  const pieces: ConcatPiece[] = plan.steps.map((step) => ({
    path: step.kind === 'copy' ? p.inputs[step.input]!.path : piecePaths.get(step.piece)!,
    duration: step.durationSec,
  }));

  const encodes = plan.steps.filter((step) => step.kind === 'encode' && step.piece === step.input);
  const costs = [...encodes.map((step) => ENCODE_COST * step.durationSec), JOIN_COST * plan.lengthSec];
  const done = costs.map(() => 0);
  const total = costs.reduce((a, b) => a + b, 0);
  const overall = createProgressReporter({ expectedDurationSec: 100, onProgress: p.onProgress });
  const run = (i: number, args: string[], expectedDurationSec: number) =>
    runFfmpeg({
      ffmpegPath: p.ffmpegPath,
      args,
      expectedDurationSec,
      signal: p.signal,
      logger: p.logger,
      onProgress: (percent) => {
        done[i] = (costs[i]! * percent) / 100;
        overall.update((done.reduce((a, b) => a + b, 0) / total) * 100 * 1e6);
      },
    });

  try {
    await writeFile(listFile, buildSmartCutConcatList(pieces));
    for (const [i, step] of encodes.entries()) {
      if (step.kind !== 'encode') continue;
      const input = p.inputs[step.input]!;
      await run(i, buildSmartConcatEncodeArgs({ input: input.path, output: piecePaths.get(step.input)!, info: input.info, frames: step.frames, target: plan.target }), step.durationSec);
    }
    const audio = plan.target.audio;
    const audioJoins = audio ? { joins: await audioJoinsOf(pieces, p), sampleRate: audio.sampleRate } : undefined;
    const join = buildSmartConcatJoinArgs({ listFile, output: p.output, withAudio: audio !== null, timeBase: plan.target.timeBase, ...(audioJoins ? { audioJoins } : {}) });
    await run(encodes.length, join, plan.lengthSec);
  } finally {
    await Promise.all([listFile, ...piecePaths.values()].map((file) => rm(file, { force: true })));
  }
  overall.complete();
  return { ok: true, reencodedInputs: plan.reencodedInputs, reencodedSec: plan.reencodedSec };
}
