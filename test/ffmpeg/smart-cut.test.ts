/**
 * Smart cut with real ffmpeg on small colour-step clips: colour i is shown from i seconds on,
 * so the colour of a frame tells which source frame it is. Keyframes every 2 s (0, 2, 4 …).
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegError, liveProcessCount } from '../../src/media/runner.js';
import { runSmartCut, type SmartCutOutcome } from '../../src/media/smart-cut.js';
import { countFrames, decodeErrors, frameColourAt, isColour, makeClip, makeColourStepClip, probeJson, runTool } from '../helpers/media.js';
import { mustProbe } from '../helpers/media.js';

const STEPS = ['red', 'green', 'blue', 'white', 'yellow', 'magenta'];

let dir: string;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smart-cut-test-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});


interface CutResult {
  outcome: SmartCutOutcome;
  output: string;
  scratch: string;
  reason: string | null;
  progress: number[];
}

async function cut(input: string, start: number, end: number, signal = new AbortController().signal): Promise<CutResult> {
  const scratch = join(dir, `scratch-${++n}`);
  await mkdir(scratch);
  const output = join(scratch, `job-${n}.out`);
  const progress: number[] = [];
  let reason: string | null = null;
  const outcome = await runSmartCut({
    input,
    output,
    start,
    end,
    info: await mustProbe(input),
    ffmpegPath: 'ffmpeg',
    ffprobePath: 'ffprobe',
    scratchDir: scratch,
    signal,
    onProgress: (p) => progress.push(p),
    onUnsupported: (r) => {
      reason = r;
    },
  });
  return { outcome, output, scratch, reason, progress };
}

function streamOf(json: any, type: 'video' | 'audio'): any {
  return (json.streams as any[]).find((s) => s.codec_type === type);
}

/** Asserts the output is the source's frames [first at/after start, first at/after end), joins included. */
async function expectExactCut(res: CutResult, start: number, end: number, fps: number, hasAudio = true): Promise<void> {
  expect(res.reason).toBeNull();
  expect(res.outcome).toBe('smart-cut');
  const file = res.output;
  const firstIndex = Math.ceil(start * fps - 1e-6);
  const endIndex = Math.ceil(end * fps - 1e-6);
  const frames = await countFrames(file);
  expect(Math.abs(frames - Math.round((end - start) * fps))).toBeLessThanOrEqual(1);
  expect(frames).toBe(endIndex - firstIndex);

  const firstTime = firstIndex / fps;
  expect(isColour(await frameColourAt(file, { first: true }), STEPS[Math.floor(firstTime + 1e-6)]!)).toBe(true);
  expect(isColour(await frameColourAt(file, { last: true }), STEPS[Math.floor((endIndex - 1) / fps + 1e-6)]!)).toBe(true);
  // Every colour change inside the range lands on the right output frame, across the joins too.
  for (let change = Math.floor(firstTime) + 1; change < end; change++) {
    const at = Math.ceil(change * fps - 1e-6) - firstIndex;
    expect(isColour(await frameColourAt(file, { timeSec: (at - 1) / fps }), STEPS[change - 1]!), `before ${change} s`).toBe(true);
    expect(isColour(await frameColourAt(file, { timeSec: at / fps }), STEPS[change]!), `at ${change} s`).toBe(true);
  }

  expect(await decodeErrors(file)).toBe('');
  const json = await probeJson(file);
  const v = streamOf(json, 'video');
  expect(json.format.format_name).toContain('mp4');
  expect(Number(v.start_time)).toBe(0);
  const a = streamOf(json, 'audio');
  if (hasAudio) {
    expect(a?.codec_name).toBe('aac');
    expect(Math.abs(Number(a.start_time))).toBeLessThanOrEqual(1 / fps);
    expect(Math.abs(Number(a.duration) - Number(v.duration))).toBeLessThan(1 / fps);
  } else {
    expect(a).toBeUndefined();
  }

  expect(res.progress[res.progress.length - 1]).toBe(100);
  expect(res.progress).toEqual([...res.progress].sort((x, y) => x - y));
  expect((await readdir(res.scratch)).filter((f) => f.includes('smart-cut'))).toEqual([]);
}

describe('smart cut', { timeout: 40_000 }, () => {
  let withB: string;
  let noB: string;
  let ntsc: string;

  beforeAll(async () => {
    [withB, noB, ntsc] = await Promise.all([
      makeColourStepClip(dir, { colours: STEPS, secondsEach: 1, fps: 25, gop: 50, bframes: true, audio: true }),
      makeColourStepClip(dir, { colours: STEPS, secondsEach: 1, fps: 25, gop: 50, bframes: false, audio: true }),
      makeColourStepClip(dir, { colours: STEPS, secondsEach: 1, fps: 29.97, gop: 60, bframes: true, audio: true }),
    ]);
  }, 30_000);

  const cases: [string, number, number][] = [
    ['starts on a keyframe, ends between keyframes', 2, 4.6],
    ['starts just after a keyframe, ends between keyframes on a colour change', 2.04, 5],
    ['starts just before a keyframe, ends at the end of the file', 3.96, 6],
    ['starts between keyframes, ends on a keyframe', 1.3, 4],
    ['starts between frames, ends between frames', 0.51, 5.29],
  ];

  for (const [name, start, end] of cases) {
    it(`with B-frames: ${name} (${start} → ${end})`, async () => {
      await expectExactCut(await cut(withB, start, end), start, end, 25);
    });
    it(`without B-frames: ${name} (${start} → ${end})`, async () => {
      await expectExactCut(await cut(noB, start, end), start, end, 25);
    });
  }

  it('is exact at 29.97 fps with B-frames too (1.5 → 5.5)', async () => {
    const res = await cut(ntsc, 1.5, 5.5);
    await expectExactCut(res, 1.5, 5.5, 30000 / 1001);
    expect(streamOf(await probeJson(res.output), 'video').r_frame_rate).toBe('30000/1001');
  });

  it('without audio, the output has none (0.3 → 4.9)', async () => {
    const silent = await makeColourStepClip(dir, { colours: STEPS, secondsEach: 1, fps: 25, gop: 50, bframes: true, audio: false });
    await expectExactCut(await cut(silent, 0.3, 4.9), 0.3, 4.9, 25, false);
  });

  it('keeps the source profile, level, size and time base', async () => {
    const res = await cut(withB, 2.5, 5.5);
    const [src, out] = await Promise.all([probeJson(withB), probeJson(res.output)]);
    const [s, o] = [streamOf(src, 'video'), streamOf(out, 'video')];
    for (const key of ['codec_name', 'profile', 'level', 'pix_fmt', 'width', 'height', 'time_base', 'r_frame_rate']) {
      expect(o[key], key).toEqual(s[key]);
    }
  });

  it('when the range lies inside one GOP, then it is unsupported and writes nothing', async () => {
    const res = await cut(withB, 2.2, 3.8);
    expect(res.outcome).toBe('unsupported');
    expect(res.reason).toMatch(/nothing to copy/);
    expect(await readdir(res.scratch)).toEqual([]);
  });

  it('when the source is VP9, then it is unsupported and writes nothing; H.264 in Matroska is smart-cut', async () => {
    const [vp9, mkv] = await Promise.all([
      makeClip(dir, { durationSec: 3, codec: 'vp9', gop: 25 }),
      makeClip(dir, { durationSec: 3, codec: 'h264', container: 'mkv', gop: 25 }),
    ]);
    const refused = await cut(vp9, 0.5, 2.5);
    expect([refused.outcome, refused.reason]).toEqual(['unsupported', 'codec vp9 is not H.264 or HEVC']);
    expect(await readdir(refused.scratch)).toEqual([]);
    const res = await cut(mkv, 0.5, 2.5);
    expect([res.outcome, res.reason]).toEqual(['smart-cut', null]);
    expect(await countFrames(res.output)).toBe(50);
    expect(await decodeErrors(res.output)).toBe('');
    expect((await readdir(res.scratch)).filter((f) => f.includes('smart-cut'))).toEqual([]);
  });

  it('when aborted, then it rejects as aborted, leaves no ffmpeg running and removes its pieces', async () => {
    const long = await makeColourStepClip(dir, { colours: STEPS, secondsEach: 2, fps: 25, gop: 50, bframes: true, audio: true, width: 640, height: 360 });
    const controller = new AbortController();
    const scratch = join(dir, 'scratch-abort');
    await mkdir(scratch);
    const run = runSmartCut({
      input: long,
      output: join(scratch, 'job-abort.out'),
      start: 0.5,
      end: 11,
      info: await mustProbe(long),
      ffmpegPath: 'ffmpeg',
      ffprobePath: 'ffprobe',
      scratchDir: scratch,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await expect(run).rejects.toSatisfy((err: unknown) => err instanceof FfmpegError && err.aborted);
    expect(liveProcessCount()).toBe(0);
    expect((await readdir(scratch)).filter((f) => f.includes('smart-cut'))).toEqual([]);
  });
});

async function ffmpeg(args: string[]): Promise<Buffer> {
  const res = await runTool('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-v', 'error', ...args]);
  if (res.code !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${res.stderr}`);
  return res.stdout;
}

/**
 * `video`'s picture with white noise for sound (unlike a tone, it matches itself at one offset only),
 * encoded with `codec`; optionally stored audio first, or fragmented (the audio of each fragment
 * stored ahead of its video).
 */
async function withNoise(video: string, codec: 'aac' | 'libmp3lame' | 'libopus', layout: 'plain' | 'audio-first' | 'fragmented' = 'plain'): Promise<string> {
  const out = join(dir, `noise-${++n}.mp4`);
  const maps = layout === 'plain' ? ['-map', '0:v', '-map', '1:a'] : ['-map', '1:a', '-map', '0:v'];
  await ffmpeg([
    '-i', video, '-f', 'lavfi', '-i', 'anoisesrc=d=6:c=white:r=48000:a=0.5:seed=7',
    ...maps, '-c:v', 'copy', '-c:a', codec, '-b:a', '64k', '-t', '6',
    ...(layout === 'fragmented' ? ['-movflags', 'frag_keyframe+delay_moov'] : []),
    '-f', 'mp4', out,
  ]);
  return out;
}

/** The first audio stream decoded to mono 48 kHz samples, from `from` seconds of its own clock on (sample-exact). */
async function samples(file: string, from = 0): Promise<Int16Array> {
  // -copyts: `from` counts from the file's time 0, not from its start time (which a priming packet can move).
  const pcm = await ffmpeg(['-copyts', '-i', file, '-map', '0:a:0', '-af', `atrim=start=${from}`, '-ac', '1', '-ar', '48000', '-f', 's16le', '-']);
  return new Int16Array(Uint8Array.from(pcm).buffer);
}

/** The lag (samples) at which `b` lines up best with `a` over `span` samples from `at`: b[i + lag] ≈ a[i]. */
function bestLag(a: Int16Array, b: Int16Array, at: number, span: number, maxLag: number): number {
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let dot = 0;
    let norm = 0;
    for (let i = at; i < at + span; i++) {
      const y = b[i + lag] ?? 0;
      dot += a[i]! * y;
      norm += y * y;
    }
    const score = norm > 0 ? dot / Math.sqrt(norm) : Number.NEGATIVE_INFINITY;
    if (score > bestScore) [best, bestScore] = [lag, score];
  }
  return best;
}

/** MD5 of every audio packet, in order. */
async function audioPackets(file: string): Promise<string[]> {
  const out = await ffmpeg(['-i', file, '-map', '0:a:0', '-c', 'copy', '-f', 'framemd5', '-']);
  return out
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    // stream, dts, pts, duration, size, hash[, side data]
    .map((line) => line.split(',')[5]!.trim());
}

/**
 * The output's sound is the source's from the first frame on, sample for sample or (re-encoded)
 * within `maxLagFrames` frames, at its start and just before its end; and it lasts as long as the
 * video, give or take one frame and one AAC packet.
 */
async function expectAudioInSync(res: CutResult, source: string, start: number, fps: number, maxLagFrames: number): Promise<void> {
  const firstFrame = Math.ceil(start * fps - 1e-6) / fps;
  const [out, src, json] = await Promise.all([samples(res.output), samples(source, firstFrame), probeJson(res.output)]);
  const videoSec = Number(streamOf(json, 'video').duration);
  const perFrame = 48000 / fps;
  const maxLag = Math.round(maxLagFrames * perFrame);
  // Past the first packet, which decodes without the one before it.
  expect(Math.abs(bestLag(out, src, 2400, 4800, Math.round(perFrame)))).toBeLessThanOrEqual(maxLag);
  const nearEnd = Math.round(videoSec * 48000) - 7200;
  expect(Math.abs(bestLag(out, src, nearEnd, 4800, Math.round(perFrame)))).toBeLessThanOrEqual(maxLag);
  expect(Math.abs(out.length / 48000 - videoSec)).toBeLessThanOrEqual(1 / fps + 1024 / 48000);
}

describe('smart cut audio', { timeout: 60_000 }, () => {
  let video: string;

  beforeAll(async () => {
    video = await makeColourStepClip(dir, { colours: STEPS, secondsEach: 1, fps: 25, gop: 50, bframes: true, audio: false });
  }, 30_000);

  it('when the audio is AAC, then its packets are copied, in sync to the sample at both ends (0.51 → 5.29)', async () => {
    const source = await withNoise(video, 'aac');
    const res = await cut(source, 0.51, 5.29);
    await expectExactCut(res, 0.51, 5.29, 25);
    await expectAudioInSync(res, source, 0.51, 25, 0);
    const [outPackets, srcPackets] = await Promise.all([audioPackets(res.output), audioPackets(source)]);
    const from = srcPackets.indexOf(outPackets[0]!);
    expect(from).toBeGreaterThan(0);
    expect(srcPackets.slice(from, from + outPackets.length)).toEqual(outPackets);
    // The first packet starts at most one packet before the first frame.
    const first = await ffmpeg(['-i', res.output, '-map', '0:a:0', '-c', 'copy', '-f', 'framecrc', '-']);
    const pts = Number(/^\d+,\s*-?\d+,\s*(-?\d+),/m.exec(first.toString('utf8'))![1]);
    expect(pts).toBeLessThanOrEqual(0);
    expect(pts).toBeGreaterThan(-1024);
  });

  it('when the cut starts at the first frame, then the audio is copied from the first packet that sounds (0 → 4.6)', async () => {
    // The packet before it is the encoder's priming, which the source's edit list hides.
    const source = await withNoise(video, 'aac');
    const res = await cut(source, 0, 4.6);
    await expectExactCut(res, 0, 4.6, 25);
    await expectAudioInSync(res, source, 0, 25, 0);
  });

  it('when the audio is stored before the video, then the pieces are still matched to the video by track ID (1.3 → 4.6)', async () => {
    const source = await withNoise(video, 'aac', 'audio-first');
    const res = await cut(source, 1.3, 4.6);
    await expectExactCut(res, 1.3, 4.6, 25);
    await expectAudioInSync(res, source, 1.3, 25, 0);
  });

  it('when each fragment stores its audio ahead of its video, then the outpoint is not trusted and the cut stays exact (0.51 → 4.63)', async () => {
    // The concat demuxer would stop at the first audio packet past the outpoint, frames before it.
    // This file also starts at -0.021 s (its audio's priming packet): the cut counts from there, and
    // both ends were picked so that the same frames are kept as if it started at 0.
    const source = await withNoise(video, 'aac', 'fragmented');
    expect(Number((await probeJson(source)).format.start_time)).toBeLessThan(0);
    const res = await cut(source, 0.51, 4.63);
    await expectExactCut(res, 0.51, 4.63, 25);
    await expectAudioInSync(res, source, 0.51, 25, 0);
  });

  for (const codec of ['libmp3lame', 'libopus'] as const) {
    it(`when the audio is ${codec === 'libopus' ? 'Opus' : 'MP3'}, then it is re-encoded to AAC, in sync within a frame (0.51 → 5.29)`, async () => {
      const source = await withNoise(video, codec);
      const res = await cut(source, 0.51, 5.29);
      await expectExactCut(res, 0.51, 5.29, 25);
      const a = streamOf(await probeJson(res.output), 'audio');
      // The re-encode's own settings, where a copy would keep the source's mono.
      expect(a.channels).toBe(2);
      await expectAudioInSync(res, source, 0.51, 25, 1);
    });
  }
});
