import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseFraction } from './argv.js';
import type { MediaInfo } from './media-info.js';
import { captureProcess, createProgressReporter, runFfmpeg } from './runner.js';
import {
  buildIdrCheckArgs,
  buildPacketProbeArgs,
  buildSmartCutConcatList,
  buildSmartCutCopyArgs,
  buildSmartCutEncodeArgs,
  buildSmartCutJoinArgs,
  buildStreamProbeArgs,
  parseIdrCheck,
  parsePacketList,
  parseSmartCutStream,
  type SmartCutStream,
} from './smart-cut-args.js';
import { planSmartCut, probeWindows, type PacketWindow, type SmartCutPlan } from './smart-cut-plan.js';

export interface SmartCutParams {
  input: string;
  output: string;
  start: number;
  end: number;
  info: MediaInfo;
  ffmpegPath: string;
  ffprobePath: string;
  /** Where the intermediate pieces go (named after `output`); they are removed before returning. */
  scratchDir: string;
  signal: AbortSignal;
  onProgress: (percent: number) => void;
  /** Told why the source cannot be smart-cut, when it cannot. */
  onUnsupported?: (reason: string) => void;
}

export type SmartCutOutcome = 'smart-cut' | 'unsupported';

const PROBE_TIMEOUT_MS = 60_000;
const MOV_FAMILY = new Set(['mp4', 'mov']);
// Relative cost of one second of media in each kind of step, for the combined progress
// (measured at 1080p30: encode ≈ 0.8 s, copy ≈ 0.002–0.01 s, join with AAC ≈ 0.015 s).
const ENCODE_COST = 1;
const COPY_COST = 0.01;
const JOIN_COST = 0.02;

type Planned = Extract<SmartCutPlan, { ok: true }>;

interface Prepared {
  plan: Planned;
  stream: SmartCutStream;
}

async function capture(binary: string, args: string[], tool: 'ffmpeg' | 'ffprobe', signal: AbortSignal): Promise<string | null> {
  const res = await captureProcess(binary, args, { tool, signal, timeoutMs: PROBE_TIMEOUT_MS });
  return res.exitCode === 0 && !res.timedOut && !res.stdoutOverflow ? res.stdout : null;
}

/** Probes the source around the cut points and plans the pieces, or says why a smart cut is not possible. */
async function prepare(p: SmartCutParams): Promise<Prepared | string> {
  if (p.info.video.codec !== 'h264') return `codec ${p.info.video.codec} is not H.264`;
  // Matroska keeps no decode timestamps and MPEG-TS seeks are not keyframe-exact; the copy
  // step relies on both, so only the mov family (exact sample tables) is cut this way.
  if (!MOV_FAMILY.has(p.info.container)) return `container ${p.info.container} is not mp4 or mov`;
  const frameRate = parseFraction(p.info.video.frameRate);
  if (!frameRate) return 'unknown frame rate';

  const streamJson = await capture(p.ffprobePath, buildStreamProbeArgs(p.input), 'ffprobe', p.signal);
  if (streamJson === null) return 'ffprobe failed';
  let parsedJson: unknown;
  try {
    parsedJson = JSON.parse(streamJson);
  } catch {
    return 'ffprobe printed no JSON';
  }
  const parsed = parseSmartCutStream(parsedJson);
  if (!parsed.ok) return parsed.reason;
  const { stream } = parsed;
  const ticksPerSec = stream.timeBase.den / stream.timeBase.num;

  const windows = await Promise.all(
    probeWindows(p.start, p.end).map(async ({ from, to }): Promise<PacketWindow | null> => {
      const absoluteTo = stream.origin + to;
      const csv = await capture(p.ffprobePath, buildPacketProbeArgs(p.input, stream.origin + from, absoluteTo), 'ffprobe', p.signal);
      const packets = csv === null ? null : parsePacketList(csv);
      return packets && { packets, endTicks: Math.round(absoluteTo * ticksPerSec) };
    }),
  );
  const startWindow = windows[0];
  const endWindow = windows[windows.length - 1];
  if (!startWindow || !endWindow) return 'the packets around the cut points cannot be listed';

  const plan = planSmartCut({
    start: p.start,
    end: p.end,
    timeBase: stream.timeBase,
    frameRate,
    originTicks: Math.round(stream.origin * ticksPerSec),
    startWindow,
    endWindow,
  });
  if (!plan.ok) return plan.reason;

  const idr = await capture(p.ffmpegPath, buildIdrCheckArgs(p.input, plan.copy.keyframe, plan.frameDuration), 'ffmpeg', p.signal);
  if (idr === null || !parseIdrCheck(idr, plan.frameDuration)) return 'the first keyframe in the range is not an IDR picture';
  return { plan, stream };
}

interface Step {
  cost: number;
  args: string[];
  expectedDurationSec: number;
}

/**
 * Frame-exact trim that re-encodes only the frames before the first keyframe in the range
 * (and after the last point where the copy can stop), stream-copies the rest and joins the
 * pieces. Resolves 'unsupported', having written nothing, when the source does not allow it;
 * the caller then re-encodes the whole range.
 */
export async function runSmartCut(p: SmartCutParams): Promise<SmartCutOutcome> {
  const prepared = await prepare(p);
  if (typeof prepared === 'string') {
    p.onUnsupported?.(prepared);
    return 'unsupported';
  }
  const { plan, stream } = prepared;

  const prefix = join(p.scratchDir, `${basename(p.output)}.smart-cut-${randomBytes(4).toString('hex')}`);
  const listFile = `${prefix}.ffconcat`;
  const pieces: { path: string; duration: number }[] = [];
  const steps: Step[] = [];
  const hasAudio = p.info.audio !== null;

  if (plan.head) {
    const path = `${prefix}.head.mp4`;
    const args = buildSmartCutEncodeArgs({ input: p.input, output: path, ...plan.head, stream, dtsShiftTicks: plan.dtsShiftTicks });
    steps.push({ cost: ENCODE_COST * plan.head.duration, args, expectedDurationSec: plan.head.duration });
    pieces.push({ path, duration: plan.head.duration });
  }
  const copyPath = `${prefix}.copy.mp4`;
  steps.push({
    cost: COPY_COST * plan.copy.duration,
    args: buildSmartCutCopyArgs({ input: p.input, output: copyPath, keyframe: plan.copy.keyframe, stopAfter: plan.copy.stopAfter, stream }),
    expectedDurationSec: plan.copy.duration,
  });
  pieces.push({ path: copyPath, duration: plan.copy.duration });
  if (plan.tail) {
    const path = `${prefix}.tail.mp4`;
    const args = buildSmartCutEncodeArgs({ input: p.input, output: path, ...plan.tail, stream, dtsShiftTicks: plan.dtsShiftTicks });
    steps.push({ cost: ENCODE_COST * plan.tail.duration, args, expectedDurationSec: plan.tail.duration });
    pieces.push({ path, duration: plan.tail.duration });
  }
  steps.push({
    cost: JOIN_COST * plan.length,
    args: buildSmartCutJoinArgs({
      listFile,
      input: p.input,
      output: p.output,
      firstFrame: plan.firstFrame,
      length: plan.length,
      hasAudio,
      stream,
    }),
    expectedDurationSec: plan.length,
  });

  const total = steps.reduce((sum, s) => sum + s.cost, 0);
  const overall = createProgressReporter({ expectedDurationSec: 100, onProgress: p.onProgress });
  try {
    await writeFile(listFile, buildSmartCutConcatList(pieces));
    let done = 0;
    for (const step of steps) {
      await runFfmpeg({
        ffmpegPath: p.ffmpegPath,
        args: step.args,
        expectedDurationSec: step.expectedDurationSec,
        signal: p.signal,
        onProgress: (percent) => overall.update(((done + (step.cost * percent) / 100) / total) * 100 * 1e6),
      });
      done += step.cost;
    }
  } finally {
    await Promise.all([listFile, ...pieces.map((piece) => piece.path)].map((file) => rm(file, { force: true })));
  }
  overall.complete();
  return 'smart-cut';
}
