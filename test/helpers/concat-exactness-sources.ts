/**
 * Sources for the concat exactness checks (issue 14): frame-coded clips with a variable frame rate,
 * audio that marks a known instant, and readers that say where each output frame and sound sits.
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { runSmartCut } from '../../src/media/smart-cut.js';
import { makeFrameCodedClip, readFrameNumbers } from './frame-code.js';
import { frameTimes, mustProbe, runTool } from './media.js';

const SAMPLE_RATE = 48000;

async function mustRunTool(args: string[], what: string): Promise<Buffer> {
  const res = await runTool('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', ...args], 300_000);
  if (res.code !== 0) throw new Error(`${what} failed: ${res.stderr}`);
  return res.stdout;
}

/** The clip with its audio replaced by silence with a 440 Hz beep from `beepAtSec` (0.2 s long), as long as `seconds`. */
export async function withBeepAudio(file: string, seconds: number, beepAtSec: number): Promise<string> {
  const out = file.replace(/\.mp4$/, '-beep.mp4');
  const beep = `aevalsrc='if(between(t\\,${beepAtSec}\\,${beepAtSec + 0.2})\\,0.5*sin(2*PI*440*t)\\,0)':s=${SAMPLE_RATE}:d=${seconds}`;
  await mustRunTool(['-y', '-i', file, '-f', 'lavfi', '-i', beep, '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-c:a', 'aac', '-b:a', '96k', out], `adding a beep to ${file}`);
  return out;
}

const SMALL = { width: 160, height: 96 };

/** Frames n ≡ 1 (mod 4) and n ≡ 3 (mod 7) of a 30 fps clip are left out; the others keep their times n/30 (r_frame_rate stays 30/1). */
export const droppedFrameKept = (n: number): boolean => n % 4 !== 1 && n % 7 !== 3;

/**
 * A VFR clip as a capture that drops frames leaves it: `seconds` of frame-coded 30 fps video with the
 * frames of `droppedFrameKept` left out, each kept frame at its own time; a beep at `beepAtSec`.
 */
export async function makeDroppedFrameVfrClip(dir: string, name: string, seconds: number, beepAtSec: number): Promise<string> {
  const coded = await makeFrameCodedClip(dir, { name: `${name}-cfr`, durationSec: seconds, fps: 30, gop: 30, audio: false, ...SMALL });
  const vfr = `${dir}/${name}.mp4`;
  await mustRunTool([
    '-y', '-i', coded, '-vf', "select='not(eq(mod(n,4),1))*not(eq(mod(n,7),3))'", '-fps_mode', 'passthrough',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', vfr,
  ], 'making a dropped-frame VFR clip');
  return withBeepAudio(vfr, seconds, beepAtSec);
}

/**
 * A VFR clip as a phone records it: 30 fps nominal, every frame up to 9 ms off its slot (n/30 + 9 ms ·
 * sin 1.7n) on a 1/90000 grid, so that r_frame_rate says 90000/1; a beep at `beepAtSec`.
 */
export async function makeJitteredVfrClip(dir: string, name: string, seconds: number, beepAtSec: number): Promise<string> {
  const coded = await makeFrameCodedClip(dir, { name: `${name}-cfr`, durationSec: seconds, fps: 30, gop: 30, audio: false, ...SMALL });
  const vfr = `${dir}/${name}.mp4`;
  await mustRunTool([
    '-y', '-i', coded, '-vf', "setpts='(N/30+0.009*sin(N*1.7))/TB'", '-fps_mode', 'passthrough', '-enc_time_base', '1/90000',
    '-video_track_timescale', '90000', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', vfr,
  ], 'making a jittered VFR clip');
  return withBeepAudio(vfr, seconds, beepAtSec);
}

/** A constant-rate frame-coded clip of the same size, with a beep at `beepAtSec`. */
export async function makeCfrBeepClip(dir: string, name: string, seconds: number, fps: number, beepAtSec: number): Promise<string> {
  const coded = await makeFrameCodedClip(dir, { name, durationSec: seconds, fps, gop: fps, audio: false, ...SMALL });
  return withBeepAudio(coded, seconds, beepAtSec);
}

export interface TimedFrame {
  /** The number in the frame's code strip. */
  frame: number | null;
  /** Its presentation time (s). */
  time: number;
}

/** Every decoded frame of the file with its presentation time, in display order. */
export async function timedFrames(file: string): Promise<TimedFrame[]> {
  const [frames, times] = await Promise.all([readFrameNumbers(file), frameTimes(file)]);
  if (frames.length !== times.length) throw new Error(`${file}: ${frames.length} frames decoded but ${times.length} frame times`);
  return frames.map((frame, i) => ({ frame, time: times[i]! }));
}

/**
 * The source frame shown at `t` (s from the source's first frame): the last one whose time is at or
 * before it, `toleranceSec` allowing for time bases that round a frame's time.
 */
export function frameCovering(source: readonly TimedFrame[], t: number, toleranceSec = 0.001): TimedFrame {
  const start = source[0]!.time;
  let covering = source[0]!;
  for (const f of source) if (f.time - start <= t + toleranceSec) covering = f;
  return covering;
}

/** The time (s) of the first audio sample at or after `fromSec` that is louder than silence. */
export async function firstSoundAt(file: string, fromSec: number): Promise<number> {
  const pcm = await mustRunTool(['-i', file, '-map', '0:a:0', '-ac', '1', '-ar', String(SAMPLE_RATE), '-f', 's16le', '-'], `decoding the audio of ${file}`);
  const from = Math.round(fromSec * SAMPLE_RATE);
  for (let i = from; 2 * i + 1 < pcm.length; i++) if (Math.abs(pcm.readInt16LE(2 * i)) > 3000) return i / SAMPLE_RATE;
  throw new Error(`${file} has no sound after ${fromSec} s`);
}

/** The presentation times (s) of the file's first audio stream's packets, in order. */
export async function audioPacketTimes(file: string): Promise<number[]> {
  const res = await runTool('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file]);
  if (res.code !== 0) throw new Error(`listing the audio packets of ${file} failed: ${res.stderr}`);
  // A packet with side data (the priming packet's skip samples) has more fields after its time.
  return res.stdout.toString('utf8').split('\n').filter((l) => l.trim() !== '').map((l) => Number(l.split(',')[0])).sort((a, b) => a - b);
}

export interface AudioJoin {
  /** Where the next input's first frame is shown (s). */
  videoAt: number;
  /** The first audio packet's start at or after it, minus videoAt (ms). */
  audioStartMs: number;
  /** How far the packet before it, one AAC frame long, reaches past that start (ms; negative: a gap). */
  overlapMs: number;
}

/** The audio packets around each video join: the next input's first packet against the join, and the overlap with the one before. */
export function audioAtJoins(packets: readonly number[], videoJoins: readonly number[], sampleRate = SAMPLE_RATE): AudioJoin[] {
  const frameSec = 1024 / sampleRate;
  return videoJoins.map((videoAt) => {
    // Half an AAC frame early still counts as the next input's start: the priming packet before it does not.
    const next = packets.findIndex((t) => t >= videoAt - frameSec / 2);
    if (next <= 0) throw new Error(`no audio packets around ${videoAt} s`);
    const ms = (s: number): number => Math.round(s * 1e6) / 1e3;
    return { videoAt, audioStartMs: ms(packets[next]! - videoAt), overlapMs: ms(packets[next - 1]! + frameSec - packets[next]!) };
  });
}

/** Runs a smart cut of input's start..end as the trim job does, into a scratch folder of its own under `dir`; returns what it said and its output. */
export async function smartCutInScratch(dir: string, input: string, start: number, end: number): Promise<{ outcome: string; output: string }> {
  const scratch = await mkdtemp(join(dir, 'smart-cut-'));
  const output = join(scratch, 'job.out');
  const outcome = await runSmartCut({
    input, output, start, end, info: await mustProbe(input),
    ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', scratchDir: scratch, signal: new AbortController().signal, onProgress: () => {},
  });
  return { outcome, output };
}
