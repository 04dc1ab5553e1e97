import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseFraction } from './argv.js';
import { appendHevcEndOfSequence } from './hevc-end-of-sequence.js';
import type { MediaLogger } from './logger.js';
import type { MediaInfo } from './media-info.js';
import { captureProcess, createProgressReporter, runFfmpeg } from './runner.js';
import {
  buildIdrCheckArgs,
  buildIdrListArgs,
  buildPacketProbeArgs,
  buildSmartCutConcatList,
  buildSmartCutCopyArgs,
  buildSmartCutEncodeArgs,
  buildSmartCutJoinArgs,
  parseIdrCheck,
  parseIdrTimes,
  parsePacketList,
  parseSmartCutStream,
  videoPackets,
  type ConcatPiece,
  type JoinAudio,
  type SmartCutStream,
} from './smart-cut-args.js';
import { planFromIdr } from './smart-cut-open-gop.js';
import { INTERLEAVE_SLACK_SEC, planSmartCut, probeWindows, type PacketWindow, type SmartCutPlan } from './smart-cut-plan.js';
import { listingStart, plannableListing } from './smart-cut-listing.js';
import { smartCutRoute, smartCutViaRemux } from './smart-cut-remux.js';
import { outpointKeepsVideo, planAudioCopy, type StreamPacket } from './smart-cut-streams.js';

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
  /** Told, once the smart cut has succeeded, how many seconds of it were re-encoded (head + tail). */
  onDone?: (summary: { reencodedSec: number }) => void;
  /** Told about every ffmpeg/ffprobe command that fails. */
  logger?: MediaLogger | undefined;
}

export type SmartCutOutcome = 'smart-cut' | 'unsupported';

const PROBE_TIMEOUT_MS = 60_000;
/** Why an IDR check fails when the seek lands on the keyframe before (an edit list): the span is then copied first. */
const SEEK_MISSED_REASON = 'seeking the source does not land on the first keyframe in the range (edit list)';
// Relative cost of one second of media in each kind of step, for the combined progress (measured
// at 1080p30, per second of media: encode ≈ 0.8 s, copy ≈ 0.0007 s, join ≈ 0.0012 s copying the
// audio, ≈ 0.012 s encoding it).
const ENCODE_COST = 1;
const COPY_COST = 0.001;
const JOIN_COST = { copy: 0.0015, encode: 0.015 };

type Planned = Extract<SmartCutPlan, { ok: true }>;

interface Prepared {
  plan: Planned;
  stream: SmartCutStream;
  audio: JoinAudio | null;
  /**
   * When the join reads the middle straight from the source: the source's video track ID and where
   * it stops reading (absolute seconds; null at the end of the file). Null when it is copied first.
   */
  middle: { trackId: number; outpoint: number | null } | null;
}

/** What `prepare` reads of the parameters: a forecast needs no output. */
type PrepareParams = Pick<SmartCutParams, 'input' | 'start' | 'end' | 'info' | 'ffmpegPath' | 'ffprobePath' | 'signal' | 'logger'>;

export type SmartCutForecast = { ok: true; reencodedSec: number; lengthSec: number } | { ok: false; reason: string };

/**
 * What a smart cut of the source would do, from the same probes a run makes, writing nothing: the
 * seconds it would re-encode, or why it cannot be one. Matroska and MPEG-TS sources are planned from
 * the source itself; a run cuts a copy of the span, which holds the same frames and keyframes. A run
 * can still fall back when the first keyframe in the range turns out not to be an IDR picture (HEVC:
 * an IRAP picture; it copies one frame to tell).
 */
export async function forecastSmartCut(p: PrepareParams): Promise<SmartCutForecast> {
  const prepared = await prepare(fromFileStart(p));
  if (typeof prepared === 'string') return { ok: false, reason: prepared };
  const { plan } = prepared;
  return { ok: true, reencodedSec: (plan.head?.duration ?? 0) + (plan.tail?.duration ?? 0), lengthSec: plan.length };
}

/**
 * The range counted from the file's start, where -ss and the listings count from: a job's times count
 * from the first video frame, which an edit list (or audio stored to start earlier) can put later.
 */
function fromFileStart<T extends PrepareParams>(p: T): T {
  const offset = p.info.video.startOffsetSec ?? 0;
  return offset > 0 ? { ...p, start: p.start + offset, end: p.end + offset } : p;
}

/** Thrown inside a run when the source turns out not to allow a smart cut. */
class Unsupported extends Error {}

async function capture(
  binary: string,
  args: string[],
  tool: 'ffmpeg' | 'ffprobe',
  signal: AbortSignal,
  logger: MediaLogger | undefined,
): Promise<string | null> {
  const res = await captureProcess(binary, args, { tool, signal, timeoutMs: PROBE_TIMEOUT_MS, logger });
  return res.exitCode === 0 && !res.timedOut && !res.stdoutOverflow ? res.stdout : null;
}

/**
 * Lists every stream's packets in the probe windows of a file starting at `origin`; the first
 * window's JSON also holds the streams and the file's start time.
 */
function listWindows(p: PrepareParams, origin: number): Promise<{ json: unknown; packets: StreamPacket[] | null }[]> {
  return Promise.all(
    probeWindows(p.start, p.end).map(async ({ from, to }, i) => {
      // From the very start when the window reaches it: an MPEG-TS seek can land after the first keyframe.
      const args = buildPacketProbeArgs(p.input, from > 0 ? listingStart(p.info.container, origin + from) : 0, Math.max(0, origin + to + INTERLEAVE_SLACK_SEC), i === 0);
      const out = await capture(p.ffprobePath, args, 'ffprobe', p.signal, p.logger);
      let json: unknown = null;
      try {
        json = out === null ? null : JSON.parse(out);
      } catch {
        json = null;
      }
      return { json, packets: json === null ? null : parsePacketList(json) };
    }),
  );
}

/** Probes the source around the cut points and plans the pieces, or says why a smart cut is not possible. */
async function prepare(p: PrepareParams): Promise<Prepared | string> {
  if (p.info.video.codec !== 'h264' && p.info.video.codec !== 'hevc') return `codec ${p.info.video.codec} is not H.264 or HEVC`;
  // HEVC is cut only where its samples are copied straight from the source's sample tables.
  if (p.info.video.codec === 'hevc' && p.info.container !== 'mp4' && p.info.container !== 'mov') return `HEVC in ${p.info.container} is cut only from mp4 or mov`;
  // A run copies other containers' span into an mp4 first; a forecast plans from the source itself.
  const route = smartCutRoute(p.info);
  if (route.via === 'none') return route.reason;
  const frameRate = parseFraction(p.info.video.frameRate);
  if (!frameRate) return 'unknown frame rate';

  // The windows are listed assuming the file starts at 0 (it nearly always does), and again when it does not.
  let listed = await listWindows(p, 0);
  if (listed[0]!.json === null) return 'ffprobe failed';
  const parsed = parseSmartCutStream(listed[0]!.json);
  if (!parsed.ok) return parsed.reason;
  const { stream, layout } = parsed;
  const ticksPerSec = stream.timeBase.den / stream.timeBase.num;
  if (stream.origin !== 0) listed = await listWindows(p, stream.origin);
  const frameTicks = (ticksPerSec * frameRate.den) / frameRate.num;
  const listings = listed
    .flatMap((l) => (l.packets ? [l.packets] : []))
    .map((listing) => plannableListing(listing, layout.videoIndex, p.info.container, frameTicks));
  const ends = probeWindows(p.start, p.end).map(({ to }) => Math.round((stream.origin + to) * ticksPerSec));
  const windows = listings.flatMap((listing, i): PacketWindow[] => {
    const packets = videoPackets(listing, layout.videoIndex);
    return packets ? [{ packets, endTicks: ends[i]! }] : [];
  });
  const startWindow = windows[0];
  const endWindow = windows[windows.length - 1];
  if (windows.length !== listed.length || !startWindow || !endWindow) return 'the packets around the cut points cannot be listed';

  const planInput = {
    start: p.start,
    end: p.end,
    timeBase: stream.timeBase,
    frameRate,
    originTicks: Math.round(stream.origin * ticksPerSec),
    startWindow,
    endWindow,
    leadingPictures: stream.codec === 'hevc' ? ('reencode' as const) : ('refuse' as const),
  };
  const idrSearch = { ...p, origin: stream.origin, from: stream.origin + p.start, end: stream.origin + p.end };
  // An HEVC CRA's leading pictures are re-encoded with the head; H.264 needs an IDR picture to copy from.
  const plan =
    stream.codec === 'hevc'
      ? planSmartCut(planInput)
      : await planFromIdr(planSmartCut(planInput), idrSearch, ticksPerSec, (copyFromTicks) => planSmartCut({ ...planInput, copyFromTicks }));
  if (!plan.ok) return plan.reason;

  let audio: JoinAudio | null = null;
  if (p.info.audio !== null) {
    const track = layout.audio;
    const copy =
      track &&
      planAudioCopy({
        codec: track.codec,
        timeBase: track.timeBase,
        listings: listings.map((listing) => listing.filter((packet) => packet.stream === track.index)),
        from: stream.origin + plan.firstFrame,
        to: stream.origin + plan.firstFrame + plan.length,
        origin: stream.origin,
        frameSec: plan.frameDuration,
      });
    audio = copy && copy.ok ? copy.audio : { mode: 'encode', firstFrame: plan.firstFrame, length: plan.length };
  }

  // The join reads the middle straight from the source unless the concat demuxer, which matches the
  // pieces' streams by track ID and stops at an outpoint that any stream can trigger, could not be
  // relied on to pass exactly the copied video. (Its list holds one path a line.)
  const keyframe = stream.origin + plan.copy.keyframe;
  const outpoint = plan.copy.stopAfter === null ? null : keyframe + plan.copy.stopAfter;
  const trackId = layout.videoId;
  // HEVC's middle is always copied first: its parameter sets are put in-band on the way (smart-cut-hevc.ts).
  const middle =
    stream.codec !== 'hevc' &&
    trackId !== null &&
    !/[\r\n\0]/.test(p.input) &&
    (outpoint === null || outpointKeepsVideo(listings[listings.length - 1]!, layout.videoIndex, layout.timeBases, Math.round(outpoint * 1e6)))
      ? { trackId, outpoint }
      : null;

  return { plan, stream, audio, middle };
}

interface Step {
  cost: number;
  args: string[];
  expectedDurationSec: number;
  /** Run on the piece once ffmpeg has written it. */
  finish?: () => Promise<void>;
}

/** Runs the tasks side by side; when one fails the others are stopped, and the first failure is thrown. */
async function runTogether(tasks: ((signal: AbortSignal) => Promise<void>)[], signal: AbortSignal): Promise<void> {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  if (signal.aborted) stop.abort();
  else signal.addEventListener('abort', onAbort, { once: true });
  const failures: unknown[] = [];
  try {
    await Promise.all(
      tasks.map(async (task) => {
        try {
          await task(stop.signal);
        } catch (err) {
          failures.push(err);
          stop.abort();
        }
      }),
    );
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (failures.length > 0) throw failures[0];
}

/**
 * Frame-exact trim that re-encodes only the frames before the first keyframe in the range
 * (and after the last point where the copy can stop), stream-copies the rest and joins the
 * pieces. Resolves 'unsupported', having written nothing, when the source does not allow it;
 * the caller then re-encodes the whole range.
 */
export async function runSmartCut(params: SmartCutParams): Promise<SmartCutOutcome> {
  const route = smartCutRoute(params.info);
  if (route.via === 'remux') return smartCutViaRemux(params, cutDirectly);
  let seekMissed = false;
  const outcome = await cutDirectly({
    ...params,
    onUnsupported: (reason) => {
      if (reason === SEEK_MISSED_REASON) seekMissed = true;
      else params.onUnsupported?.(reason);
    },
  });
  return seekMissed ? smartCutViaRemux(params, cutDirectly) : outcome;
}

/** Smart cut reading the source itself (the mov family); see runSmartCut. */
async function cutDirectly(params: SmartCutParams): Promise<SmartCutOutcome> {
  const p = fromFileStart(params);
  const prepared = await prepare(p);
  if (typeof prepared === 'string') {
    p.onUnsupported?.(prepared);
    return 'unsupported';
  }
  const { plan, stream, audio, middle } = prepared;

  const prefix = join(p.scratchDir, `${basename(p.output)}.smart-cut-${randomBytes(4).toString('hex')}`);
  const listFile = `${prefix}.ffconcat`;
  const scratch = [listFile];
  const pieces: ConcatPiece[] = [];
  // Head, tail and (when the join cannot read the middle itself) the copy: independent, run side by side.
  const pieceSteps: Step[] = [];

  if (plan.head) {
    const path = `${prefix}.head.mp4`;
    const args = buildSmartCutEncodeArgs({ input: p.input, output: path, ...plan.head, stream, dtsShiftTicks: plan.dtsShiftTicks, trackId: middle?.trackId });
    // HEVC: the copy after the head may start on a CRA picture, which begins a new sequence only after an end of sequence.
    const finish = stream.codec === 'hevc' ? () => appendHevcEndOfSequence(path) : undefined;
    pieceSteps.push({ cost: ENCODE_COST * plan.head.duration, args, expectedDurationSec: plan.head.duration, finish });
    pieces.push({ path, duration: plan.head.duration });
    scratch.push(path);
  }
  if (middle) {
    const inpoint = stream.origin + plan.copy.keyframe;
    pieces.push({ path: p.input, duration: plan.copy.duration, inpoint, outpoint: middle.outpoint ?? undefined });
  } else {
    const path = `${prefix}.copy.mp4`;
    const args = buildSmartCutCopyArgs({ input: p.input, output: path, keyframe: plan.copy.keyframe, stopAfter: plan.copy.stopAfter, stream });
    pieceSteps.push({ cost: COPY_COST * plan.copy.duration, args, expectedDurationSec: plan.copy.duration });
    pieces.push({ path, duration: plan.copy.duration });
    scratch.push(path);
  }
  if (plan.tail) {
    const path = `${prefix}.tail.mp4`;
    const args = buildSmartCutEncodeArgs({ input: p.input, output: path, ...plan.tail, stream, dtsShiftTicks: plan.tailDtsShiftTicks, trackId: middle?.trackId });
    pieceSteps.push({ cost: ENCODE_COST * plan.tail.duration, args, expectedDurationSec: plan.tail.duration });
    pieces.push({ path, duration: plan.tail.duration });
    scratch.push(path);
  }
  const joinStep: Step = {
    cost: (audio?.mode === 'encode' ? JOIN_COST.encode : JOIN_COST.copy) * plan.length + (middle ? COPY_COST * plan.copy.duration : 0),
    args: buildSmartCutJoinArgs({ listFile, input: p.input, output: p.output, audio, stream }),
    expectedDurationSec: plan.length,
  };

  const steps = [...pieceSteps, joinStep];
  const done = steps.map(() => 0);
  const total = steps.reduce((sum, s) => sum + s.cost, 0);
  const overall = createProgressReporter({ expectedDurationSec: 100, onProgress: p.onProgress });
  // Nothing is reported until the IDR check has passed: a source refused then goes on to the full
  // re-encode, whose progress must not start below what was already reported.
  let verified = false;
  const report = (): void => {
    if (verified) overall.update((done.reduce((a, b) => a + b, 0) / total) * 100 * 1e6);
  };
  const run = (step: Step, signal: AbortSignal): Promise<void> => {
    const i = steps.indexOf(step);
    return runFfmpeg({
      ffmpegPath: p.ffmpegPath,
      args: step.args,
      expectedDurationSec: step.expectedDurationSec,
      signal,
      logger: p.logger,
      onProgress: (percent) => {
        done[i] = (step.cost * percent) / 100;
        report();
      },
    });
  };
  // Tells a keyframe that is no IDR picture from one that a seek misses, as an edit list can make
  // it: the mov demuxer then seeks by shifted times and lands on the keyframe before.
  const whyNotCopied = async (signal: AbortSignal): Promise<string> => {
    const from = Math.max(0, plan.copy.keyframe - plan.frameDuration);
    const listed = await capture(p.ffmpegPath, buildIdrListArgs(p.input, from, 2 * plan.frameDuration, stream.codec), 'ffmpeg', signal, p.logger);
    const at = stream.origin + plan.copy.keyframe;
    const isIdr = listed !== null && parseIdrTimes(listed).some((t) => Math.abs(t - at) < plan.frameDuration / 2);
    if (isIdr) return SEEK_MISSED_REASON;
    return stream.codec === 'hevc' ? 'the first keyframe in the range is not a random access (IRAP) picture' : 'the first keyframe in the range is not an IDR picture';
  };
  const checkIdr = async (signal: AbortSignal): Promise<void> => {
    // The copy (and the join reading the middle from the source) seeks to the keyframe: the check
    // copies from there, so it passes only when that seek lands on it and it is an IDR picture.
    const landed = await capture(p.ffmpegPath, buildIdrCheckArgs(p.input, plan.copy.keyframe, plan.frameDuration, stream.codec), 'ffmpeg', signal, p.logger);
    if (landed === null || !parseIdrCheck(landed, plan.frameDuration)) throw new Unsupported(await whyNotCopied(signal));
    verified = true;
    report();
  };

  try {
    await writeFile(listFile, buildSmartCutConcatList(pieces, middle?.trackId));
    await runTogether([checkIdr, ...pieceSteps.map((step) => (signal: AbortSignal) => run(step, signal).then(step.finish))], p.signal);
    await run(joinStep, p.signal);
  } catch (err) {
    if (!(err instanceof Unsupported)) throw err;
    p.onUnsupported?.(err.message);
    return 'unsupported';
  } finally {
    await Promise.all(scratch.map((file) => rm(file, { force: true })));
  }
  overall.complete();
  p.onDone?.({ reencodedSec: (plan.head?.duration ?? 0) + (plan.tail?.duration ?? 0) });
  return 'smart-cut';
}
