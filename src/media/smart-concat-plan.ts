import { parseFraction, videoDurationOf, type Fraction } from './argv.js';
import type { MediaInfo } from './media-info.js';
import { X264_PIX_FMTS, X264_PROFILES } from './smart-cut-args.js';

/**
 * What the concat demuxer needs to be equal for two files to be joined by stream copy, beyond the
 * stored probe: read from each input's headers and its first video packet (buildConcatStreamProbeArgs).
 */
export interface ConcatStreamDetails {
  /** Stream indexes: the copy join takes stream 0 as video and 1 as audio from every file. */
  streamTypes: string[];
  /** How much longer the audio stream lasts than the video (negative: shorter); null when unknown or without audio. */
  audioOverhangSec: number | null;
  /** How much earlier the audio starts than the video (negative: later); null when unknown or without audio. */
  audioLeadSec: number | null;
  video: {
    codec: string | null;
    profile: string | null;
    level: number | null;
    codedWidth: number | null;
    codedHeight: number | null;
    pixFmt: string | null;
    fieldOrder: string | null;
    timeBase: string | null;
    /** Ticks by which the first packet decodes before it is shown (B-frame delay); null when unknown. */
    decodeDelayTicks: number | null;
  };
  audio: { codec: string | null; profile: string | null; sampleRate: number | null; channels: number | null; channelLayout: string | null } | null;
}

export interface SmartConcatInput {
  /** The input's file: an input given twice is re-encoded once. */
  path: string;
  info: MediaInfo;
  /** Null when the input could not be probed: it is then re-encoded, and cannot be the target. */
  details: ConcatStreamDetails | null;
}

/** What every re-encoded input is made to match: the target input's stream parameters. */
export interface SmartConcatTarget {
  width: number;
  height: number;
  rate: Fraction;
  timeBase: Fraction;
  /** x264 profile name. */
  profile: string;
  level: number | null;
  pixFmt: string;
  /** The copied inputs' B-frame delay: re-encoded pieces' dts trail their pts by as much, so dts keep rising at every join. */
  dtsShiftTicks: number;
  audio: { sampleRate: number; channels: number; channelLayout: string } | null;
}

export type SmartConcatStep =
  | { kind: 'copy'; input: number; durationSec: number }
  /** `piece`: the first input of the same file, whose re-encoded piece this one reuses (itself when it is that input). */
  | { kind: 'encode'; input: number; piece: number; frames: number; durationSec: number };

export type SmartConcatPlan =
  | {
      ok: true;
      /** The input whose parameters the output takes. */
      targetInput: number;
      target: SmartConcatTarget;
      /** One step per input, in order. */
      steps: SmartConcatStep[];
      /** Indexes of the inputs that are re-encoded (ascending). */
      reencodedInputs: number[];
      reencodedSec: number;
      lengthSec: number;
    }
  | { ok: false; reason: string };

const MOV_FAMILY = new Set(['mp4', 'mov']);
const MAX_TIMESCALE = 1_000_000;
/** Two AAC packets at 48 kHz: what an encoder's last packet and priming leave. */
const MAX_AUDIO_OVERHANG_SEC = 0.05;
const LAYOUTS_BY_CHANNELS: Readonly<Record<number, string>> = { 1: 'mono', 2: 'stereo' };

const squareSar = (sar: string | null): boolean => sar === null || /^(\d+):\1$/.test(sar);

/** Why this input cannot set the target the others are matched to; null when it can. */
export function targetRefusal(input: SmartConcatInput): string | null {
  const { info, details } = input;
  const v = info.video;
  if (v.codec !== 'h264') return `codec ${v.codec} is not H.264`;
  if (!MOV_FAMILY.has(info.container)) return `container ${info.container} is not mp4 or mov`;
  if (!details) return 'its streams cannot be probed';
  const d = details.video;
  if (!d.profile || !Object.hasOwn(X264_PROFILES, d.profile)) return `profile ${String(d.profile)} cannot be matched`;
  if (!d.pixFmt || !X264_PIX_FMTS.has(d.pixFmt)) return `pixel format ${String(d.pixFmt)} cannot be matched`;
  if (!d.codedWidth || !d.codedHeight || d.codedWidth % 2 || d.codedHeight % 2) return 'odd or unknown frame size';
  if (d.fieldOrder && !['progressive', 'unknown'].includes(d.fieldOrder)) return 'interlaced video';
  const tb = parseFraction(d.timeBase);
  if (!tb || tb.num !== 1 || tb.den > MAX_TIMESCALE) return `unusable time base ${String(d.timeBase)}`;
  if (!parseFraction(v.frameRate)) return 'unknown frame rate';
  if (!squareSar(v.sar)) return `anamorphic video (SAR ${v.sar})`;
  if ((v.rotation ?? 0) !== 0) return 'rotated video';
  if (d.decodeDelayTicks === null || d.decodeDelayTicks < 0) return 'unknown decode delay';
  if (details.streamTypes[0] !== 'video' || details.streamTypes.length > (details.audio ? 2 : 1) || (details.audio && details.streamTypes[1] !== 'audio')) {
    return 'streams other than one video and one audio';
  }
  const a = details.audio;
  if (a) {
    if (a.codec !== 'aac' || a.profile !== 'LC') return `audio ${String(a.codec)} ${String(a.profile ?? '')}`.trim() + ' cannot be matched (AAC LC can)';
    if (!a.sampleRate || !a.channels || !(a.channelLayout ?? LAYOUTS_BY_CHANNELS[a.channels])) return 'unknown audio layout';
    // Copied as it is, such a file would move the audio of every file after it off the picture.
    const overhang = details.audioOverhangSec;
    if (overhang !== null && overhang > MAX_AUDIO_OVERHANG_SEC) return `its audio outlasts its video by ${overhang} s`;
    if (overhang !== null && overhang < -MAX_AUDIO_OVERHANG_SEC) return `its audio ends ${-overhang} s before its video`;
    // The concat demuxer starts a file at its earliest packet: audio ahead of the picture would hold the previous file's last frame.
    const lead = details.audioLeadSec;
    if (lead !== null && Math.abs(lead) > MAX_AUDIO_OVERHANG_SEC) return `its audio starts ${Math.abs(lead)} s ${lead > 0 ? 'before' : 'after'} its video`;
  }
  return null;
}

/**
 * Everything that must be equal for the concat demuxer to join two inputs by stream copy; null for
 * an input that can never be copied. Inputs with equal keys are copied as they are.
 */
export function copyKey(input: SmartConcatInput): string | null {
  if (targetRefusal(input) !== null) return null;
  const { info, details } = input;
  const v = info.video;
  const a = details!.audio;
  return JSON.stringify([
    details!.video,
    v.width,
    v.height,
    squareSar(v.sar) ? '1:1' : v.sar,
    v.frameRate,
    a ? [a, a.channelLayout ?? LAYOUTS_BY_CHANNELS[a.channels!]] : null,
  ]);
}

function framesOf(info: MediaInfo, rate: Fraction): number {
  return Math.max(1, Math.round((videoDurationOf(info) * rate.num) / rate.den));
}

const round = (s: number): number => Math.round(s * 1e6) / 1e6;

/**
 * Plans a smart concat: the inputs sharing the copy key whose files hold the most seconds (the
 * earliest on a tie) are stream-copied, and every other input is re-encoded to match them, so that the
 * concat demuxer can join all of them by stream copy. Pure.
 */
export function planSmartConcat(inputs: SmartConcatInput[]): SmartConcatPlan {
  if (inputs.length === 0) return { ok: false, reason: 'no inputs' };
  // A VFR input is re-timed to a constant rate only by a filter concat, which records it.
  const vfr = inputs.findIndex((input) => input.info.video.variableFrameRate);
  if (vfr >= 0) return { ok: false, reason: `input ${vfr} has a variable frame rate (a filter concat re-times it to a constant rate)` };
  const keys = inputs.map(copyKey);
  // The target is what leaves the fewest seconds to re-encode: each file counts once, as it is re-encoded once.
  const weight = new Map<string, number>();
  keys.forEach((key, i) => {
    const first = inputs.findIndex((other) => other.path === inputs[i]!.path) === i;
    if (key !== null && first) weight.set(key, (weight.get(key) ?? 0) + inputs[i]!.info.durationSec);
  });
  let targetInput = -1;
  keys.forEach((key, i) => {
    if (key !== null && (targetInput < 0 || weight.get(key)! > weight.get(keys[targetInput]!)!)) targetInput = i;
  });
  if (targetInput < 0) return { ok: false, reason: `no input can be matched by the encoder (input 0: ${targetRefusal(inputs[0]!)})` };

  const { info, details } = inputs[targetInput]!;
  const a = details!.audio;
  const missingAudio = a === null ? inputs.findIndex((input) => input.info.audio !== null) : -1;
  if (missingAudio >= 0) return { ok: false, reason: `input ${targetInput} has no audio but input ${missingAudio} has` };
  const rate = parseFraction(info.video.frameRate)!;
  const target: SmartConcatTarget = {
    width: details!.video.codedWidth!,
    height: details!.video.codedHeight!,
    rate,
    timeBase: parseFraction(details!.video.timeBase)!,
    profile: X264_PROFILES[details!.video.profile!]!,
    level: details!.video.level !== null && Number.isInteger(details!.video.level) && details!.video.level >= 9 && details!.video.level <= 62 ? details!.video.level : null,
    pixFmt: details!.video.pixFmt!,
    dtsShiftTicks: details!.video.decodeDelayTicks!,
    audio: a ? { sampleRate: a.sampleRate!, channels: a.channels!, channelLayout: a.channelLayout ?? LAYOUTS_BY_CHANNELS[a.channels!]! } : null,
  };
  const steps = inputs.map((input, i): SmartConcatStep => {
    const frames = input.info.video.frameCount && keys[i] === keys[targetInput] ? input.info.video.frameCount : framesOf(input.info, rate);
    const durationSec = round((frames * rate.den) / rate.num);
    if (keys[i] === keys[targetInput]) return { kind: 'copy', input: i, durationSec };
    return { kind: 'encode', input: i, piece: inputs.findIndex((other) => other.path === input.path), frames, durationSec };
  });
  const encoded = steps.filter((s) => s.kind === 'encode');
  const pieces = encoded.filter((s) => s.piece === s.input);
  return {
    ok: true,
    targetInput,
    target,
    steps,
    reencodedInputs: encoded.map((s) => s.input),
    reencodedSec: round(pieces.reduce((sum, s) => sum + s.durationSec, 0)),
    lengthSec: round(steps.reduce((sum, s) => sum + s.durationSec, 0)),
  };
}
