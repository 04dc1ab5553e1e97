/**
 * Exactness of stream-copy trims (issue 14 #5, #6, #8, #3 copy path): every output frame is read back
 * by its number, the output is decoded in full (no error may be printed), and the audio must start
 * and end with the video.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConcatCopyArgs, buildConcatFilterArgs, buildConcatList } from '../../src/media/argv.js';
import { runCopyTrim } from '../../src/media/copy-trim.js';
import { extensionForContainer } from '../../src/media/media-info.js';
import { runFfmpeg } from '../../src/media/runner.js';
import { makeFrameCodedClip, readFrameNumbers } from '../helpers/frame-code.js';
import { decodeErrors, frameTimes, mustProbe, packetSpans, runTool } from '../helpers/media.js';

let dir: string;
let n = 0;
const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exactness-copy-test-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const SMALL = { width: 160, height: 96 };
const FPS = 30;

async function copyTrim(input: string, start: number, end: number): Promise<string> {
  const info = await mustProbe(input);
  const output = join(dir, `copy-${++n}.${extensionForContainer(info.container)}`);
  await runCopyTrim({
    input, output, start, end, info, ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', signal: new AbortController().signal, onProgress: () => {},
  });
  return output;
}

/** The output holds consecutive frames from a keyframe at or before the first wanted one through at least the last wanted one. */
function expectCleanCopy(frames: (number | null)[], start: number, end: number, gop: number, maxOvershoot: number): void {
  const first = Math.ceil(start * FPS - 1e-6);
  const lastWanted = Math.ceil(end * FPS - 1e-6) - 1;
  const keyframe = Math.floor(first / gop) * gop;
  expect(frames.length).toBeGreaterThan(0);
  const last = frames[frames.length - 1] as number;
  expect(frames).toEqual(range(keyframe, frames.length));
  expect(last).toBeGreaterThanOrEqual(lastWanted);
  expect(last).toBeLessThanOrEqual(lastWanted + maxOvershoot);
}

async function expectAvTogether(file: string): Promise<void> {
  const { video, audio } = await packetSpans(file);
  expect(Math.abs(audio[0] - video[0])).toBeLessThan(1 / FPS);
  expect(Math.abs(audio[1] - video[1])).toBeLessThan(1 / FPS);
}

describe('copy trim of a B-frame source', { timeout: 90_000 }, () => {
  let src: string;
  beforeAll(async () => {
    src = await makeFrameCodedClip(dir, { name: 'bframes', durationSec: 6, fps: FPS, gop: 30, bframes: 3, ...SMALL });
  }, 30_000);

  it.each([
    [1.5, 3.1],
    [0.9, 2.55],
    [2.0, 4.0],
    [3.3, 3.4],
    [4.1, 5.2],
  ])('when %f → %f is copied, then it ends on a clean cut: every frame up to the end, none missing, none that cannot decode', async (start, end) => {
    const output = await copyTrim(src, start, end);
    expect((await mustProbe(output)).video.frameCount).toBe((await readFrameNumbers(output)).length);
    // A clean cut may keep the rest of a mini-GOP (3 B-frames and their P-frame) past the end.
    expectCleanCopy(await readFrameNumbers(output), start, end, 30, 4);
    expect(await decodeErrors(output)).toBe('');
    await expectAvTogether(output);
  });
});

describe('copy trim of an open-GOP source', { timeout: 90_000 }, () => {
  let src: string;
  beforeAll(async () => {
    // 8 B-frames with x264's open GOP: keyframes every second are I-frames whose GOP still refers to the
    // one before (its leading B-frames, and reference marking after it); IDR pictures only at 0 and 3 s.
    src = await makeFrameCodedClip(dir, { name: 'open-gop-8b', durationSec: 6, fps: FPS, gop: 30, bframes: 8, openGop: true, idrAt: [3], ...SMALL });
  }, 30_000);

  it.each([
    [1, 2.2, 0],
    [1.5, 2.6, 0],
    [4, 5.2, 90],
    [3, 3.5, 90],
    [3.6, 4.3, 90],
  ])('when %f → %f is copied, then it starts on the IDR picture before (frame %i) and decodes without errors', async (start, end, idr) => {
    const output = await copyTrim(src, start, end);
    const frames = await readFrameNumbers(output);
    expect(frames[0]).toBe(idr);
    // Every stored frame is shown: the container's frame count is the decoder's.
    expect((await mustProbe(output)).video.frameCount).toBe(frames.length);
    expectCleanCopy(frames, start, end, idr === 0 ? 1000 : 90, 9);
    expect(await decodeErrors(output)).toBe('');
    await expectAvTogether(output);
  });
});

describe('concat copy of two copy trims', { timeout: 90_000 }, () => {
  let src: string;
  beforeAll(async () => {
    src = await makeFrameCodedClip(dir, { name: 'concat-bframes', durationSec: 6, fps: FPS, gop: 30, bframes: 3, ...SMALL });
  }, 30_000);

  it('when two copy trims are joined by the concat demuxer, then no frame is held longer at the join and the audio lasts as long as the video', async () => {
    const [a, b] = await Promise.all([copyTrim(src, 1, 2.5), copyTrim(src, 3, 4.5)]);
    const [framesA, framesB] = await Promise.all([readFrameNumbers(a), readFrameNumbers(b)]);
    const listFile = join(dir, 'two-trims.ffconcat');
    await writeFile(listFile, buildConcatList([a, b]));
    const output = join(dir, 'two-trims.mp4');
    await runFfmpeg({ args: buildConcatCopyArgs({ listFile, output, muxer: 'mp4' }), expectedDurationSec: 3 });
    expect(await readFrameNumbers(output)).toEqual([...framesA, ...framesB]);
    const times = await frameTimes(output);
    const steps = times.slice(1).map((t, i) => t - times[i]!);
    // Every frame lasts one frame (to the millisecond the mp4 timescale allows), the one before the join included.
    expect(Math.max(...steps) - 1 / FPS).toBeLessThan(0.002);
    expect(await decodeErrors(output)).toBe('');
    await expectAvTogether(output);
  });
});

describe('filter concat of copy trims', { timeout: 90_000 }, () => {
  it('when an open-GOP copy trim comes first, then the concat holds exactly the frames of its inputs (no frame stored but not shown)', async () => {
    const [openGop, plain] = await Promise.all([
      makeFrameCodedClip(dir, { name: 'fc-open-gop', durationSec: 5, fps: FPS, gop: 30, bframes: 8, openGop: true, idrAt: [1], ...SMALL }),
      makeFrameCodedClip(dir, { name: 'fc-plain', durationSec: 4, fps: FPS, gop: 30, bframes: 3, ...SMALL }),
    ]);
    const parts = await Promise.all([copyTrim(openGop, 1.1, 3.97), copyTrim(plain, 0.5, 2.9), copyTrim(openGop, 2.2, 3.5)]);
    const framesOf = await Promise.all(parts.map(readFrameNumbers));
    const inputs = await Promise.all(parts.map(async (path) => ({ path, info: await mustProbe(path) })));
    const output = join(dir, 'filter-concat-of-copies.mp4');
    await runFfmpeg({ args: buildConcatFilterArgs({ inputs, output }), expectedDurationSec: 8 });
    expect(await readFrameNumbers(output)).toEqual(framesOf.flat());
  });
});

describe('copy trim of an MPEG-TS source whose video starts after the file', { timeout: 90_000 }, () => {
  let ts: string;
  beforeAll(async () => {
    const coded = await makeFrameCodedClip(dir, { name: 'ts-copy-src', durationSec: 5, fps: FPS, gop: 60, ...SMALL });
    ts = join(dir, 'copy-source.ts');
    const res = await runTool('ffmpeg', ['-v', 'error', '-y', '-i', coded, '-c', 'copy', '-output_ts_offset', '1.445', '-f', 'mpegts', ts]);
    if (res.code !== 0) throw new Error(res.stderr);
  }, 30_000);

  it.each([
    [2, 4],
    [0.26, 2.5],
    [2.5, 2.6],
  ])('when %f → %f is copied, then it starts on the keyframe at or before the first frame at/after start, counted from the first frame', async (start, end) => {
    const output = await copyTrim(ts, start, end);
    expectCleanCopy(await readFrameNumbers(output), start, end, 60, 0);
    expect(await decodeErrors(output)).toBe('');
    await expectAvTogether(output);
  });
});
