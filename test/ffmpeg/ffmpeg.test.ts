/**
 * Real ffmpeg/ffprobe against tiny generated clips. Everything lives in one temp dir
 * that is removed in afterAll.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMMON_ARGS,
  buildAccurateTrimArgs,
  buildConcatCopyArgs,
  buildConcatFilterArgs,
  buildConcatList,
  buildCopyTrimArgs,
  canConcatByCopy,
} from '../../src/media/argv.js';
import { muxerForContainer } from '../../src/media/media-info.js';
import { probeMedia } from '../../src/media/probe.js';
import { FfmpegError, MissingBinaryError, liveProcessCount, runFfmpeg } from '../../src/media/runner.js';
import {
  countFrames,
  decodeErrors,
  frameColourAt,
  isColour,
  makeAudioOnly,
  makeAudioWithCover,
  makeClip,
  makeColourStepClip,
  makePng,
  makeTextFile,
  probeJson,
} from '../helpers/media.js';
import { mustProbe } from '../helpers/media.js';
import { isRunning } from '../helpers/processes.js';

let dir: string;
let n = 0;
const out = (): string => join(dir, `out-${++n}.tmp`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ffmpeg-test-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});


function streamOf(json: any, type: 'video' | 'audio'): any {
  return (json.streams as any[]).find((s) => s.codec_type === type);
}


// Colour i is shown from i seconds on; keyframes only at 0, 2, 4 s.
const STEPS = ['red', 'green', 'blue', 'white', 'yellow', 'magenta'];

describe('accurate trim', { timeout: 30_000 }, () => {
  let steps25: string;
  let steps2997: string;

  beforeAll(async () => {
    [steps25, steps2997] = await Promise.all([
      makeColourStepClip(dir, { colours: STEPS, secondsEach: 1, fps: 25, gop: 50, bframes: true, audio: true }),
      makeColourStepClip(dir, { colours: STEPS, secondsEach: 1, fps: 29.97, gop: 60, audio: true }),
    ]);
  }, 20_000);

  async function trim(input: string, start: number, end: number, fps: number, hasAudio = true): Promise<string> {
    const output = out();
    await runFfmpeg({
      args: buildAccurateTrimArgs({ input, output, start, end, hasAudio, fps }),
      expectedDurationSec: end - start,
    });
    return output;
  }

  it('starts exactly on a colour change that is not a keyframe (3.0 → 5.0 @ 25 fps)', async () => {
    const file = await trim(steps25, 3, 5, 25);
    expect(await countFrames(file)).toBe(50);
    expect(isColour(await frameColourAt(file, { first: true }), 'white')).toBe(true);
    expect(isColour(await frameColourAt(file, { last: true }), 'yellow')).toBe(true);
    // The change at source 4.0 s must land exactly on output frame 25.
    expect(isColour(await frameColourAt(file, { timeSec: 0.96 }), 'white')).toBe(true);
    expect(isColour(await frameColourAt(file, { timeSec: 1.0 }), 'yellow')).toBe(true);

    const json = await probeJson(file);
    const v = streamOf(json, 'video');
    const a = streamOf(json, 'audio');
    expect(v.r_frame_rate).toBe('25/1');
    expect(Number(v.start_time)).toBe(0);
    expect(Number(v.duration)).toBeCloseTo(2, 6);
    expect(a.codec_name).toBe('aac');
    expect(Number(a.sample_rate)).toBe(48000);
    expect(Math.abs(Number(a.duration) - 2)).toBeLessThan(0.03);
  });

  it('starts on the first frame after a start that falls just after a change (3.02 → 4.98)', async () => {
    const file = await trim(steps25, 3.02, 4.98, 25);
    // frames 3.04 … 4.96
    expect(await countFrames(file)).toBe(49);
    expect(isColour(await frameColourAt(file, { first: true }), 'white')).toBe(true);
    expect(isColour(await frameColourAt(file, { last: true }), 'yellow')).toBe(true);
    expect(isColour(await frameColourAt(file, { timeSec: 0.92 }), 'white')).toBe(true);
    expect(isColour(await frameColourAt(file, { timeSec: 0.96 }), 'yellow')).toBe(true);
    const json = await probeJson(file);
    const v = streamOf(json, 'video');
    const a = streamOf(json, 'audio');
    expect(Math.abs(Number(a.duration) - Number(v.duration))).toBeLessThan(0.03);
  });

  it('keeps the frame just after a start that is slightly before a change (2.99 → 4.0)', async () => {
    const file = await trim(steps25, 2.99, 4, 25, false);
    expect(await countFrames(file)).toBe(25);
    expect(isColour(await frameColourAt(file, { first: true }), 'white')).toBe(true);
    expect(isColour(await frameColourAt(file, { last: true }), 'white')).toBe(true);
    expect(streamOf(await probeJson(file), 'audio')).toBeUndefined();
  });

  it('is exact at 29.97 fps too (2.0 → 4.0)', async () => {
    const info = await mustProbe(steps2997);
    expect(info.video.fps).toBe(29.97);
    const file = await trim(steps2997, 2, 4, info.video.fps);
    // frames 60 (2.002 s) … 119 (3.971 s)
    expect(await countFrames(file)).toBe(60);
    expect(isColour(await frameColourAt(file, { first: true }), 'blue')).toBe(true);
    expect(isColour(await frameColourAt(file, { last: true }), 'white')).toBe(true);
    expect(streamOf(await probeJson(file), 'video').r_frame_rate).toBe('30000/1001');
  });
});

describe('copy trim and concat', { timeout: 30_000 }, () => {
  it('copy trim produces a playable file in the source container', async () => {
    const [mp4, webm] = await Promise.all([
      makeClip(dir, { durationSec: 4, gop: 25 }),
      makeClip(dir, { durationSec: 3, codec: 'vp9', gop: 30 }),
    ]);
    for (const input of [mp4, webm]) {
      const info = await mustProbe(input);
      const output = out();
      await runFfmpeg({
        args: buildCopyTrimArgs({ input, output, start: 1.2, end: 2.5, muxer: muxerForContainer(info.container) }),
        expectedDurationSec: 1.3,
      });
      const res = await mustProbe(output);
      expect(res.container).toBe(info.container);
      expect(res.video.codec).toBe(info.video.codec);
      expect(res.audio?.codec).toBe(info.audio?.codec);
      // Stream copy starts at the keyframe before `start`, so it may be a bit longer.
      expect(res.durationSec).toBeGreaterThan(1.2);
      expect(res.durationSec).toBeLessThan(2.6);
      expect(await decodeErrors(output)).toBe('');
    }
  });

  it('concat copy of two identical-format clips lasts the sum', async () => {
    const [a, b] = await Promise.all([makeClip(dir, { durationSec: 1 }), makeClip(dir, { durationSec: 1.6 })]);
    const infos = await Promise.all([mustProbe(a), mustProbe(b)]);
    expect(canConcatByCopy(infos)).toBe(true);
    const listFile = join(dir, 'list.ffconcat');
    await writeFile(listFile, buildConcatList([a, b]));
    const output = out();
    await runFfmpeg({
      args: buildConcatCopyArgs({ listFile, output, muxer: muxerForContainer(infos[0]!.container) }),
      expectedDurationSec: 2.6,
    });
    const res = await mustProbe(output);
    expect(Math.abs(res.durationSec - 2.6)).toBeLessThan(0.1);
    expect(res.audio).not.toBeNull();
    expect(await countFrames(output)).toBe(25 + 40);
    expect(await decodeErrors(output)).toBe('');
  });

  it('concat filter joins different sizes, codecs and a silent clip', async () => {
    const [a, b, c] = await Promise.all([
      makeClip(dir, { durationSec: 2, width: 320, height: 240, fps: 25 }),
      makeClip(dir, { durationSec: 1.5, width: 640, height: 360, fps: 30, codec: 'vp9' }),
      makeClip(dir, { durationSec: 1, width: 320, height: 240, fps: 25, audio: false }),
    ]);
    const inputs = await Promise.all([a, b, c].map(async (path) => ({ path, info: await mustProbe(path) })));
    expect(inputs[1]!.info.container).toBe('webm');
    expect(inputs[2]!.info.audio).toBeNull();
    expect(canConcatByCopy(inputs.map((i) => i.info))).toBe(false);

    const expected = inputs.reduce((sum, i) => sum + i.info.durationSec, 0);
    const output = out();
    const progress: number[] = [];
    await runFfmpeg({
      args: buildConcatFilterArgs({ inputs, output }),
      expectedDurationSec: expected,
      onProgress: (p) => progress.push(p),
    });

    const res = await mustProbe(output);
    expect(res.video).toMatchObject({ codec: 'h264', width: 320, height: 240, fps: 25, pixFmt: 'yuv420p' });
    expect(res.audio).toMatchObject({ codec: 'aac', sampleRate: 48000, channels: 2 });
    expect(Math.abs(res.durationSec - expected)).toBeLessThan(0.1);
    const json = await probeJson(output);
    expect(Math.abs(Number(streamOf(json, 'audio').duration) - Number(streamOf(json, 'video').duration))).toBeLessThan(0.05);
    expect(await decodeErrors(output)).toBe('');

    expect(progress.at(-1)).toBe(100);
    expect(progress.filter((p) => p === 100)).toHaveLength(1);
    expect([...progress].sort((x, y) => x - y)).toEqual(progress);
  });
});

describe('runFfmpeg', { timeout: 30_000 }, () => {
  // -re reads the lavfi source in real time, so this job takes a minute unless killed.
  const slowArgs = [...COMMON_ARGS, '-re', '-f', 'lavfi', '-i', 'testsrc2=s=160x120:r=25:d=60', '-f', 'null', '-'];

  it('reports progress up to 100', async () => {
    const progress: number[] = [];
    await runFfmpeg({
      args: [...COMMON_ARGS, '-f', 'lavfi', '-i', 'testsrc2=s=160x120:r=25:d=3', '-f', 'null', '-'],
      expectedDurationSec: 3,
      onProgress: (p) => progress.push(p),
    });
    expect(progress.at(-1)).toBe(100);
    expect([...progress].sort((x, y) => x - y)).toEqual(progress);
    expect(liveProcessCount()).toBe(0);
  });

  it('abort kills the process group and rejects with aborted=true', async () => {
    const controller = new AbortController();
    let pid = 0;
    const progress: number[] = [];
    const run = runFfmpeg({
      args: slowArgs,
      expectedDurationSec: 60,
      signal: controller.signal,
      onSpawn: (p) => {
        pid = p;
      },
      onProgress: (p) => progress.push(p),
    });
    await new Promise((r) => setTimeout(r, 700));
    expect(pid).toBeGreaterThan(0);
    expect(isRunning(pid)).toBe(true);
    controller.abort();
    const err = await run.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FfmpegError);
    expect((err as FfmpegError).aborted).toBe(true);
    expect(isRunning(pid)).toBe(false);
    expect(progress).not.toContain(100);
    expect(liveProcessCount()).toBe(0);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const err = await runFfmpeg({ args: slowArgs, expectedDurationSec: 1, signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FfmpegError);
    expect((err as FfmpegError).aborted).toBe(true);
  });

  it('rejects with exit code and stderr tail on failure', async () => {
    const err = await runFfmpeg({
      args: [...COMMON_ARGS, '-i', join(dir, 'missing.mp4'), '-f', 'null', '-'],
      expectedDurationSec: 1,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FfmpegError);
    const e = err as FfmpegError;
    expect(e.aborted).toBe(false);
    expect(e.exitCode).not.toBe(0);
    expect(e.stderrTail).toContain('No such file or directory');
    expect(e.message).toContain(`code ${e.exitCode}`);
    expect(e.message).toContain('No such file or directory');
  });

  it('explains how to install ffmpeg when the binary is missing', async () => {
    const err = await runFfmpeg({ ffmpegPath: join(dir, 'no-ffmpeg'), args: [], expectedDurationSec: 1 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MissingBinaryError);
    expect((err as Error).message).toMatch(/apt-get install ffmpeg/);
    expect((err as Error).message).toMatch(/FFMPEG_PATH/);
  });

  it('does not leave ffmpeg running when the Node process exits', async () => {
    const runnerUrl = pathToFileURL(fileURLToPath(new URL('../../src/media/runner.ts', import.meta.url))).href;
    const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const script = join(dir, 'exit-child.mjs');
    await writeFile(
      script,
      [
        `import { runFfmpeg } from ${JSON.stringify(runnerUrl)};`,
        `runFfmpeg({ args: ${JSON.stringify(slowArgs)}, expectedDurationSec: 60, onSpawn: (pid) => {`,
        '  console.log(pid);',
        '  setTimeout(() => process.exit(0), 300);',
        '} }).catch(() => {});',
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', tsxLoader, script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const pid = Number.parseInt(stdout.trim(), 10);
    expect(pid).toBeGreaterThan(0);
    // SIGKILL is delivered asynchronously; give the kernel a moment to reap it.
    for (let i = 0; i < 20 && isRunning(pid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(isRunning(pid)).toBe(false);
  });
});

describe('probeMedia', { timeout: 30_000 }, () => {
  it('refuses text, png, audio-only and cover-art files', async () => {
    const [text, png, audio, cover] = await Promise.all([
      makeTextFile(dir),
      makePng(dir),
      makeAudioOnly(dir),
      makeAudioWithCover(dir),
    ]);
    const results = await Promise.all([text, png, audio, cover].map((f) => probeMedia(f)));
    for (const r of results) expect(r.ok).toBe(false);
    const reasons = results.map((r) => (r.ok ? '' : r.reason));
    expect(reasons[0]).toMatch(/not a recognisable media file/);
    expect(reasons[0]).not.toContain(dir);
    expect(reasons[1]).toMatch(/still image/);
    expect(reasons[2]).toMatch(/audio-only/);
    expect(reasons[3]).toMatch(/cover art/);
  });

  it('refuses a file whose video does not decode', async () => {
    const good = await makeClip(dir, { durationSec: 1, audio: false });
    const bytes = await readFile(good);
    // Keep the container structure (moov at the end) but wipe the coded frames.
    const mdat = bytes.indexOf('mdat');
    const moov = bytes.lastIndexOf('moov');
    expect(mdat).toBeGreaterThan(0);
    expect(moov).toBeGreaterThan(mdat);
    bytes.fill(0, mdat + 4, moov - 4);
    const broken = join(dir, 'broken.mp4');
    await writeFile(broken, bytes);
    const res = await probeMedia(broken);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.reason).toMatch(/cannot be decoded/);
  });

  it('accepts mp4 and webm', async () => {
    const [mp4, webm] = await Promise.all([
      makeClip(dir, { durationSec: 1.2, bframes: true }),
      makeClip(dir, { durationSec: 1, codec: 'vp9', width: 160, height: 120 }),
    ]);
    const a = await mustProbe(mp4);
    expect(a).toMatchObject({ container: 'mp4', video: { codec: 'h264', width: 320, height: 240, fps: 25, hasBFrames: true } });
    expect(a.durationSec).toBeCloseTo(1.2, 1);
    expect(a.audio?.codec).toBe('aac');
    const b = await mustProbe(webm);
    expect(b).toMatchObject({ container: 'webm', video: { codec: 'vp9', width: 160, height: 120 } });
    expect(b.audio?.codec).toBe('opus');
  });

  it('throws a helpful error when ffprobe is missing', async () => {
    const err = await probeMedia(join(dir, 'x.mp4'), { ffprobePath: join(dir, 'no-ffprobe') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingBinaryError);
    expect((err as Error).message).toMatch(/ffprobe.*apt-get install ffmpeg.*FFPROBE_PATH/s);
  });
});
