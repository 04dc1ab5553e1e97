/**
 * Smart cut with real ffmpeg on small colour-step clips: colour i is shown from i seconds on,
 * so the colour of a frame tells which source frame it is. Keyframes every 2 s (0, 2, 4 …).
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegError, liveProcessCount } from '../../workers/ffmpeg/runner.js';
import { runSmartCut, type SmartCutOutcome } from '../../workers/ffmpeg/smart-cut.js';
import { countFrames, decodeErrors, frameColourAt, isColour, makeClip, makeColourStepClip, probeJson } from '../helpers/media.js';
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

  it('when the source is VP9 or H.264 in Matroska, then it is unsupported and writes nothing', async () => {
    const [vp9, mkv] = await Promise.all([
      makeClip(dir, { durationSec: 3, codec: 'vp9', gop: 25 }),
      makeClip(dir, { durationSec: 3, codec: 'h264', container: 'mkv', gop: 25 }),
    ]);
    for (const input of [vp9, mkv]) {
      const res = await cut(input, 0.5, 2.5);
      expect(res.outcome).toBe('unsupported');
      expect(await readdir(res.scratch)).toEqual([]);
    }
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
