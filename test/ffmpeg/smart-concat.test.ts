/**
 * Smart concat with real FFmpeg on frame-coded clips: every output frame is read back by its number,
 * so a lost, repeated or reordered frame at a join shows.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forecastSmartConcat, runSmartConcat, type SmartConcatOutcome } from '../../src/media/smart-concat.js';
import { makeFrameCodedClip, readFrameNumbers } from '../helpers/frame-code.js';
import { makeIntroAndMain } from '../helpers/concat-sources.js';
import { decodeErrors, mustProbe, probeJson } from '../helpers/media.js';

let dir: string;
let n = 0;
const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smart-concat-test-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function concat(files: string[]): Promise<{ outcome: SmartConcatOutcome; output: string; scratch: string; progress: number[] }> {
  const scratch = join(dir, `scratch-${++n}`);
  await mkdir(scratch);
  const output = join(scratch, `job-${n}.out`);
  const inputs = await Promise.all(files.map(async (path) => ({ path, info: await mustProbe(path) })));
  const progress: number[] = [];
  const outcome = await runSmartConcat({
    inputs,
    output,
    ffmpegPath: 'ffmpeg',
    ffprobePath: 'ffprobe',
    scratchDir: scratch,
    signal: new AbortController().signal,
    onProgress: (p) => progress.push(p),
  });
  return { outcome, output, scratch, progress };
}

function streamsOf(json: any): { video: any; audio: any } {
  const streams = json.streams as any[];
  return { video: streams.find((s) => s.codec_type === 'video'), audio: streams.find((s) => s.codec_type === 'audio') };
}

/** A section of a re-encoded input converted to another frame rate: from 0 to its last frame, never going back, skipping at most `maxStep - 1`. */
function expectRateConverted(section: (number | null)[], sourceFrames: number, maxStep = 1): void {
  expect(section.every((f) => f !== null)).toBe(true);
  expect(section[0]).toBe(0);
  expect(section[section.length - 1]).toBe(sourceFrames - 1);
  for (let i = 1; i < section.length; i++) {
    expect(section[i]! - section[i - 1]!).toBeGreaterThanOrEqual(0);
    expect(section[i]! - section[i - 1]!).toBeLessThanOrEqual(maxStep);
  }
}

describe('smart concat', { timeout: 180_000 }, () => {
  let intro: string;
  let main: string;
  beforeAll(async () => {
    ({ intro, main } = await makeIntroAndMain(dir));
  }, 60_000);

  it('when an intro of another size and frame rate is joined to a main, then only the intro is re-encoded and every frame comes out in order', async () => {
    const res = await concat([intro, main]);
    expect(res.outcome).toEqual({ ok: true, reencodedInputs: [0], reencodedSec: 2 });
    const frames = await readFrameNumbers(res.output);
    expect(frames).toHaveLength(60 + 120);
    expectRateConverted(frames.slice(0, 60), 50);
    expect(frames.slice(60)).toEqual(range(0, 120));
    expect(await decodeErrors(res.output)).toBe('');
    const { video, audio } = streamsOf(await probeJson(res.output));
    expect([video.width, video.height, video.r_frame_rate, video.profile]).toEqual([640, 360, '30/1', 'High']);
    expect(Number(video.start_time)).toBe(0);
    expect(Number(video.duration)).toBeCloseTo(6, 3);
    // The audio ends with the video, within one frame.
    expect(Math.abs(Number(audio.duration) - Number(video.duration))).toBeLessThan(1 / 30);
    expect(res.progress.at(-1)).toBe(100);
    expect(await readdir(res.scratch)).toEqual([`job-${n}.out`]);
  });

  it('when the same intro comes before and after the main, then it is re-encoded once and both joins keep every frame', async () => {
    const res = await concat([intro, main, intro]);
    expect(res.outcome).toEqual({ ok: true, reencodedInputs: [0, 2], reencodedSec: 2 });
    const frames = await readFrameNumbers(res.output);
    expect(frames).toHaveLength(60 + 120 + 60);
    expectRateConverted(frames.slice(0, 60), 50);
    expect(frames.slice(60, 180)).toEqual(range(0, 120));
    expectRateConverted(frames.slice(180), 50);
    expect(await decodeErrors(res.output)).toBe('');
    const { video, audio } = streamsOf(await probeJson(res.output));
    expect(Number(video.duration)).toBeCloseTo(8, 3);
    expect(Math.abs(Number(audio.duration) - Number(video.duration))).toBeLessThan(1 / 30);
  });

  it('when an input has no audio, then its piece gets silence of its length and the audio still ends with the video', async () => {
    const silent = await makeFrameCodedClip(dir, { name: 'silent', durationSec: 1, fps: 30, gop: 30, width: 640, height: 360, audio: false, codec: 'mpeg4' });
    const res = await concat([main, silent]);
    expect(res.outcome).toEqual({ ok: true, reencodedInputs: [1], reencodedSec: 1 });
    expect(await readFrameNumbers(res.output)).toEqual([...range(0, 120), ...range(0, 30)]);
    expect(await decodeErrors(res.output)).toBe('');
    const { video, audio } = streamsOf(await probeJson(res.output));
    expect(Math.abs(Number(audio.duration) - Number(video.duration))).toBeLessThan(1 / 30);
  });

  it('when the main\'s audio ends well before its video, then it is not copied as it is (its audio would move every join after it)', async () => {
    // The intro's size: a picture made smaller would shrink the frame code below what can be read.
    const shortAudio = await makeFrameCodedClip(dir, { name: 'short-audio', durationSec: 4, fps: 30, gop: 30, bframes: 3, width: 320, height: 180 });
    const { audio, video } = streamsOf(await probeJson(shortAudio));
    expect(Number(video.duration) - Number(audio.duration)).toBeGreaterThan(0.1);
    const res = await concat([intro, shortAudio]);
    expect(res.outcome).toEqual({ ok: true, reencodedInputs: [1], reencodedSec: 4 });
    const frames = await readFrameNumbers(res.output);
    // The intro (2 s at 25 fps) is the target now: the main is re-encoded at 25 fps.
    expect(frames.slice(0, 50)).toEqual(range(0, 50));
    expect(frames).toHaveLength(50 + 100);
    expectRateConverted(frames.slice(50), 120, 2);
    expect(await decodeErrors(res.output)).toBe('');
    const out = streamsOf(await probeJson(res.output));
    expect([out.video.width, out.video.r_frame_rate]).toEqual([320, '25/1']);
  });

  it('when no input is H.264 in mp4, then nothing is written and the reason names what cannot be matched', async () => {
    const other = await makeFrameCodedClip(dir, { name: 'mpeg4', durationSec: 1, fps: 25, gop: 25, width: 320, height: 180, codec: 'mpeg4' });
    const res = await concat([other, other]);
    expect(res.outcome).toEqual({ ok: false, reason: 'no input can be matched by the encoder (input 0: codec mpeg4 is not H.264)' });
    expect(await readdir(res.scratch)).toEqual([]);
  });

  it('when the plan is forecast, then it names the inputs a run re-encodes and the target it matches', async () => {
    const inputs = await Promise.all([intro, main, intro].map(async (path) => ({ path, info: await mustProbe(path) })));
    const plan = await forecastSmartConcat({ inputs, ffprobePath: 'ffprobe', signal: new AbortController().signal });
    expect(plan).toMatchObject({ ok: true, targetInput: 1, reencodedInputs: [0, 2], reencodedSec: 2, lengthSec: 8 });
    expect(plan.ok && plan.target).toMatchObject({ width: 640, height: 360, rate: { num: 30, den: 1 }, profile: 'high' });
  });
});
