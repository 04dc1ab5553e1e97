/**
 * Exactness failures of issue 14, each on a small frame-coded clip: every output frame is read back
 * by its number, so a lost, repeated or extra frame shows.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAccurateTrimArgs } from '../../src/media/argv.js';
import { probeMedia, probeOutput } from '../../src/media/probe.js';
import { runFfmpeg } from '../../src/media/runner.js';
import { runSmartCut } from '../../src/media/smart-cut.js';
import { makeFrameCodedClip, readFrameNumbers } from '../helpers/frame-code.js';
import { decodeErrors, makePng, mustProbe } from '../helpers/media.js';

let dir: string;
let n = 0;
const out = (): string => join(dir, `out-${++n}.mp4`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exactness-test-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const SMALL = { width: 160, height: 96 };

describe('a one-frame trim', { timeout: 60_000 }, () => {
  let src: string;
  beforeAll(async () => {
    src = await makeFrameCodedClip(dir, { name: 'one-frame-src', durationSec: 4, fps: 30, gop: 30, ...SMALL });
  }, 30_000);

  it('when a re-encode trim keeps one frame (1.0 → 1.033333 @ 30 fps), then the output probe accepts it and it holds that frame', async () => {
    const output = out();
    await runFfmpeg({ args: buildAccurateTrimArgs({ input: src, output, start: 1, end: 1.033333, hasAudio: true, fps: 30 }), expectedDurationSec: 0.033 });
    const probed = await probeOutput(output);
    expect(probed.ok ? 'ok' : probed.reason).toBe('ok');
    expect(await readFrameNumbers(output)).toEqual([30]);
  });

  it('when a smart cut keeps one keyframe (2.0 → 2.033333), then the output probe accepts it and it holds that frame', async () => {
    const scratch = join(dir, `scratch-${++n}`);
    await mkdir(scratch);
    const output = join(scratch, 'job.out');
    const outcome = await runSmartCut({
      input: src, output, start: 2, end: 2.033333, info: await mustProbe(src),
      ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', scratchDir: scratch, signal: new AbortController().signal, onProgress: () => {}
    });
    expect(outcome).toBe('smart-cut');
    const probed = await probeOutput(output);
    expect(probed.ok ? 'ok' : probed.reason).toBe('ok');
    expect(await readFrameNumbers(output)).toEqual([60]);
    expect(await decodeErrors(output)).toBe('');
  });

  it('when a still image or a one-frame video is uploaded, then the upload probe still refuses it', async () => {
    const output = out();
    await runFfmpeg({ args: buildAccurateTrimArgs({ input: src, output, start: 3, end: 3.033333, hasAudio: false, fps: 30 }), expectedDurationSec: 0.033 });
    const [png, oneFrame, pngAsOutput] = await Promise.all([probeMedia(await makePng(dir)), probeMedia(output), probeOutput(await makePng(dir))]);
    expect(png.ok ? 'ok' : png.reason).toMatch(/still image/);
    expect(oneFrame.ok ? 'ok' : oneFrame.reason).toMatch(/single frame/);
    expect(pngAsOutput.ok ? 'ok' : pngAsOutput.reason).toMatch(/still image/);
  });
});
