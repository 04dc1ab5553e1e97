import { buildCopyTrimArgs, parseFraction, type Fraction } from './argv.js';
import { buildCleanCopyTrimArgs, buildSingleReadingCopyTrimArgs, type SingleReadingCopy } from './copy-trim-args.js';
import { planCopyTrim, type CopyTrimPlan } from './copy-trim-plan.js';
import { isMovFamilyMuxer, muxerForContainer } from './media-info.js';
import { captureProcess, runFfmpeg } from './runner.js';
import { buildIdrListArgs, buildPacketProbeArgs, parseIdrTimes, parsePacketList, videoPackets } from './smart-cut-args.js';
import { INTERLEAVE_SLACK_SEC } from './smart-cut-plan.js';
import type { SmartCutParams } from './smart-cut.js';
import { copiedListing, listingStart } from './smart-cut-listing.js';
import { planAudioCopy, type StreamPacket } from './smart-cut-streams.js';
import { movCleanStartTimes } from './mov-idr.js';
import { readMovIndex } from './mov-index.js';
import { movListing } from './mov-listing.js';

/** Like a smart cut's: `start` and `end` count from the first video frame. */
export type CopyTrimParams = Pick<SmartCutParams, 'input' | 'output' | 'start' | 'end' | 'info' | 'ffmpegPath' | 'ffprobePath' | 'signal' | 'onProgress' | 'logger'>;

export type CopyTrimOutcome =
  | { clean: true; keptFromSec: number; keptToSec: number }
  /** The packets could not be planned from; the copy was cut the plain way (keyframe before start, by time). */
  | { clean: false; reason: string };

const PROBE_TIMEOUT_MS = 60_000;
/** The listings reach this far back before `start` and `end`: ffprobe then starts on the keyframe before. */
const LOOKBACK_SEC = 1;
/** …and this far past them, so that B-frames shown just past a point are listed. */
const OVERRUN_SEC = 1.5;
/** How far before an open-GOP keyframe an IDR picture to start on is looked for. */
const IDR_SEARCH_SEC = 30;
/** A single reading runs this much past the later of its streams' ends, which their filters cut. */
const SINGLE_READING_SLACK_SEC = 0.5;

type Json = Record<string, unknown>;

/** The packets around the cut points, read from the sample tables instead of listed by ffprobe (no process to start). */
async function listFromMovIndex(p: CopyTrimParams): Promise<Listed | null> {
  const listing = await movListing(p.input, windowsOf(p.start, p.end)).catch(() => null);
  if (!listing) return null;
  const { video, audio } = listing;
  return {
    layout: {
      origin: listing.origin,
      video: { index: video.index, timeBase: { num: 1, den: video.timescale } },
      audio: audio && p.info.audio ? { index: audio.index, timeBase: { num: 1, den: audio.timescale }, codec: p.info.audio.codec } : null,
      audioStreams: listing.audioTracks,
    },
    // planCopyTrim trusts a listing up to a second before where it ends.
    listed: listing.windows.map((w) => ({ packets: w.packets, toSec: w.trustedUntilSec + 1 })),
    // An edit list that starts inside a GOP makes the mov demuxer's seek land on the keyframe before.
    exactSeek: !video.discard.includes(1),
  };
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface Layout {
  origin: number;
  video: { index: number; timeBase: Fraction };
  audio: { index: number; timeBase: Fraction | null; codec: string } | null;
  audioStreams: number;
}

function layoutOf(json: unknown): Layout | null {
  if (!isObject(json) || !Array.isArray(json.streams)) return null;
  const streams = json.streams.filter(isObject);
  const v = streams.find((s) => s.codec_type === 'video');
  const a = streams.find((s) => s.codec_type === 'audio');
  const tb = (s: Json): Fraction | null => parseFraction(typeof s.time_base === 'string' ? s.time_base : null);
  const videoTb = v ? tb(v) : null;
  if (!v || !videoTb || !Number.isInteger(v.index)) return null;
  const origin = Number(isObject(json.format) ? (json.format.start_time ?? 0) : 0);
  if (!Number.isFinite(origin)) return null;
  return {
    origin,
    video: { index: Number(v.index), timeBase: videoTb },
    audio: a && Number.isInteger(a.index) ? { index: Number(a.index), timeBase: tb(a), codec: String(a.codec_name) } : null,
    audioStreams: streams.filter((s) => s.codec_type === 'audio').length,
  };
}

/** The listing windows (seconds from the first frame): around the start and around the end, one when they overlap. */
function windowsOf(start: number, end: number): { from: number; to: number }[] {
  const first = { from: Math.max(0, start - LOOKBACK_SEC), to: start + OVERRUN_SEC };
  const last = { from: Math.max(0, end - LOOKBACK_SEC), to: end + OVERRUN_SEC };
  return last.from <= first.to ? [{ from: first.from, to: last.to }] : [first, last];
}

async function list(p: CopyTrimParams, origin: number): Promise<{ json: unknown; packets: StreamPacket[] | null; toSec: number }[]> {
  const firstFrame = origin + (p.info.video.startOffsetSec ?? 0);
  return Promise.all(
    windowsOf(p.start, p.end).map(async ({ from, to }, i) => {
      const toSec = firstFrame + to;
      // From the very start when the window reaches it: an MPEG-TS seek can land after the first keyframe.
      const args = buildPacketProbeArgs(p.input, from > 0 ? listingStart(p.info.container, firstFrame + from) : 0, toSec + INTERLEAVE_SLACK_SEC, i === 0);
      const res = await captureProcess(p.ffprobePath, args, { tool: 'ffprobe', signal: p.signal, timeoutMs: PROBE_TIMEOUT_MS, logger: p.logger });
      let json: unknown = null;
      try {
        json = res.exitCode === 0 && !res.timedOut && !res.stdoutOverflow ? JSON.parse(res.stdout) : null;
      } catch {
        json = null;
      }
      return { json, packets: json === null ? null : parsePacketList(json), toSec };
    }),
  );
}

type Planned = {
  plan: Extract<CopyTrimPlan, { ok: true }>;
  audio: ReturnType<typeof planAudioCopy> | null;
  origin: number;
  videoTicksPerSec: number;
  audioTimeBase: Fraction | null;
};

/** One reading of the source serves both streams when the seek lands on the keyframe and nothing before it needs dropping. */
function singleReading(p: CopyTrimParams, prepared: Planned): SingleReadingCopy | null {
  const { plan, audio, origin } = prepared;
  const copied = audio?.ok ? audio.audio : null;
  const atb = prepared.audioTimeBase;
  if (plan.dropBefore || plan.readFor === null || !copied || copied.firstPts === undefined || !atb) return null;
  const videoEnd = origin + plan.seekTo + plan.readFor;
  const audioEnd = origin + copied.seekTo + copied.readFor;
  return {
    input: p.input,
    output: p.output,
    muxer: muxerForContainer(p.info.container),
    seekTo: plan.seekTo,
    readFor: Math.max(videoEnd, audioEnd) - origin - plan.seekTo + SINGLE_READING_SLACK_SEC,
    // Both ends lie halfway between two packets, so rounding cannot tip them.
    videoStopDts: Math.ceil(videoEnd * prepared.videoTicksPerSec),
    audio: { firstPts: copied.firstPts, endPts: Math.round((audioEnd * atb.den) / atb.num), leadTicks: copied.leadTicks },
  };
}

type Listed = {
  layout: Layout;
  listed: { packets: StreamPacket[]; toSec: number }[];
  /** The sample tables were read and no video sample is hidden by the edit list: a seek to a keyframe's time lands on it. */
  exactSeek?: boolean;
};

/** The packets around the cut points, listed by ffprobe; assuming the file starts at 0 (it nearly always does), and again when it does not. */
async function listWithProbe(p: CopyTrimParams): Promise<Listed | string> {
  let listed = await list(p, 0);
  const layout = layoutOf(listed[0]!.json);
  if (!layout) return 'the streams cannot be read';
  if (layout.origin !== 0) listed = await list(p, layout.origin);
  if (listed.some((l) => l.packets === null)) return 'the packets around the cut points cannot be listed';
  return { layout, listed: listed.map((l) => ({ packets: l.packets!, toSec: l.toSec })) };
}

async function prepare(p: CopyTrimParams): Promise<Planned | string> {
  const fromIndex = isMovFamilyMuxer(muxerForContainer(p.info.container)) ? await listFromMovIndex(p) : null;
  const got = fromIndex ?? (await listWithProbe(p));
  if (typeof got === 'string') return got;
  const { layout, listed } = got;
  const listings = listed.map((l) => l.packets);
  const ticksPerSec = layout.video.timeBase.den / layout.video.timeBase.num;
  const fps = p.info.video.fps > 0 ? p.info.video.fps : 25;
  listings.forEach((l, i) => (listings[i] = copiedListing(l, layout.video.index, p.info.container, ticksPerSec / fps)));
  const windows = listed.map((l, i) => ({ packets: videoPackets(listings[i]!, layout.video.index), endTicks: Math.round(l.toSec * ticksPerSec) }));
  if (windows.some((w) => w.packets === null)) return 'video packets without timestamps';
  const video = windows.map((w) => ({ packets: w.packets!, endTicks: w.endTicks }));
  const firstFrameSec = layout.origin + (p.info.video.startOffsetSec ?? 0);
  const planInput = {
    start: p.start,
    end: p.end,
    timeBase: layout.video.timeBase,
    frameSec: 1 / fps,
    firstPts: Math.round(firstFrameSec * ticksPerSec),
    origin: layout.origin,
    startWindow: video[0]!,
    endWindow: video[video.length - 1]!,
    seekMarginSec: p.info.container === 'mpegts' ? 1 : 0,
    exactSeek: got.exactSeek === true,
  };
  let plan = planCopyTrim(planInput);
  if (!plan.ok) return plan.reason;
  if (plan.dropLeading && p.info.video.codec === 'h264') {
    // An H.264 open GOP starts on an I-frame that is no IDR: the frames after it still carry
    // reference-marking commands for pictures of the GOP before, which the decoder reports missing
    // even with the leading B-frames dropped. Only an IDR picture starts a clean decode.
    const idr = await lastIdrBefore(p, layout.origin, plan.firstFrame);
    if (idr !== null) {
      const replanned = planCopyTrim({ ...planInput, keyframePts: Math.round(idr * ticksPerSec) });
      if (replanned.ok) plan = replanned;
    }
  }
  const track = layout.audio;
  const muxer = muxerForContainer(p.info.container);
  const audio =
    // The packets are chosen for one audio stream; with more, all of them go with the video's reading.
    p.info.audio === null || track === null || layout.audioStreams > 1
      ? null
      : planAudioCopy({
          codec: track.codec,
          timeBase: track.timeBase,
          listings: listings.map((listing) => listing.filter((packet) => packet.stream === track.index)),
          from: plan.firstFrame,
          to: plan.endTime,
          origin: layout.origin,
          frameSec: 1 / fps,
          start: isMovFamilyMuxer(muxer) ? 'lead' : 'nearest',
          anyCodec: true,
        });
  return { plan, audio, origin: layout.origin, videoTicksPerSec: ticksPerSec, audioTimeBase: track?.timeBase ?? null };
}

/** The last IDR picture at or before `keyframe` (absolute seconds) within IDR_SEARCH_SEC, or null. */
async function lastIdrBefore(p: CopyTrimParams, origin: number, keyframe: number): Promise<number | null> {
  const from = Math.max(0, keyframe - origin - IDR_SEARCH_SEC);
  const fromTables = await movCleanStartTimes(p.input, await readMovIndex(p.input).catch(() => null), origin + from, keyframe);
  if (fromTables) return fromTables.length > 0 ? Math.max(...fromTables) : null;
  const halfFrame = 0.5 / (p.info.video.fps > 0 ? p.info.video.fps : 25);
  const args = buildIdrListArgs(p.input, from, keyframe - origin - from + halfFrame);
  const res = await captureProcess(p.ffmpegPath, args, { tool: 'ffmpeg', signal: p.signal, timeoutMs: PROBE_TIMEOUT_MS, logger: p.logger });
  if (res.exitCode !== 0 || res.timedOut || res.stdoutOverflow) return null;
  const before = parseIdrTimes(res.stdout).filter((t) => t <= keyframe + 1e-6);
  return before.length > 0 ? Math.max(...before) : null;
}

/**
 * Stream-copy trim: from the keyframe at or before `start` to the first clean cut point at or after
 * `end` (see planCopyTrim), with the audio starting and ending with the video (within a frame).
 * When the source's packets cannot be planned from, it is cut the plain way, as ffmpeg's -ss/-to do.
 */
export async function runCopyTrim(p: CopyTrimParams): Promise<CopyTrimOutcome> {
  const muxer = muxerForContainer(p.info.container);
  const prepared = await prepare(p);
  const common = { ffmpegPath: p.ffmpegPath, expectedDurationSec: p.end - p.start, onProgress: p.onProgress, signal: p.signal, logger: p.logger };
  if (typeof prepared === 'string') {
    await runFfmpeg({ ...common, args: buildCopyTrimArgs({ input: p.input, output: p.output, start: p.start, end: p.end, muxer }) });
    return { clean: false, reason: prepared };
  }
  const { plan, audio } = prepared;
  const copied = audio?.ok && audio.audio.firstPts !== undefined ? audio.audio : null;
  const single = singleReading(p, prepared);
  const args = single
    ? buildSingleReadingCopyTrimArgs(single)
    : buildCleanCopyTrimArgs({
    input: p.input,
    output: p.output,
    muxer,
    video: { seekTo: plan.seekTo, readFor: plan.readFor, firstPts: plan.keyframePts, dropBefore: plan.dropBefore },
    hasAudio: p.info.audio !== null,
        audio: copied && { seekTo: copied.seekTo, readFor: copied.readFor, firstPts: copied.firstPts!, leadTicks: copied.leadTicks },
      });
  await runFfmpeg({ ...common, expectedDurationSec: plan.endTime - plan.firstFrame, args });
  return { clean: true, keptFromSec: plan.keptFromSec, keptToSec: plan.keptToSec };
}
