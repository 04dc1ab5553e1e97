/**
 * Smart cut of the sources issue 14 lists beyond a plain mp4 (edit list inside a GOP, Matroska,
 * MPEG-TS with a start time, open GOP), on frame-coded clips: every output frame is read back by
 * its number. Keyframes every second at 30 fps; times count from the source's first video frame.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegError, liveProcessCount } from '../../src/media/runner.js';
import { forecastSmartCut, runSmartCut, type SmartCutOutcome } from '../../src/media/smart-cut.js';
import { readFrameNumbers } from '../helpers/frame-code.js';
import { decodeErrors, makeColourStepClip, mustProbe, probeJson } from '../helpers/media.js';
import {
  SOURCE_FPS,
  makeClosedGopSource,
  makeEditListMp4,
  makeMatroska,
  makeOpenGopSource,
  makeTransportStream,
} from '../helpers/smart-cut-sources.js';

let dir: string;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smart-cut-sources-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Cut {
  outcome: SmartCutOutcome;
  reason: string | null;
  reencodedSec: number | null;
  output: string;
  scratch: string;
}

async function smartCut(input: string, start: number, end: number): Promise<Cut> {
  const scratch = join(dir, `scratch-${++n}`);
  await mkdir(scratch);
  const output = join(scratch, 'job.out');
  let reason: string | null = null;
  let reencodedSec: number | null = null;
  const outcome = await runSmartCut({
    input, output, start, end, info: await mustProbe(input), ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', scratchDir: scratch,
    signal: new AbortController().signal, onProgress: () => {},
    onUnsupported: (why) => (reason = why),
    onDone: (done) => (reencodedSec = done.reencodedSec),
  });
  return { outcome, reason, reencodedSec, output, scratch };
}

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

/**
 * The cut was a smart cut holding, in order, every frame from the first at/after `start` to the last
 * before `end` (frame i of the source showing number i + `numberOffset`), decoding without errors,
 * the sound starting and ending with the picture within a frame; the forecast said the same; no
 * piece is left in the scratch directory.
 */
async function expectExactSmartCut(input: string, start: number, end: number, numberOffset = 0): Promise<void> {
  const res = await smartCut(input, start, end);
  expect([res.outcome, res.reason]).toEqual(['smart-cut', null]);
  const first = Math.ceil(start * SOURCE_FPS - 1e-6);
  const last = Math.ceil(end * SOURCE_FPS - 1e-6);
  expect(await readFrameNumbers(res.output)).toEqual(range(first + numberOffset, last - first));
  expect(await decodeErrors(res.output)).toBe('');
  const streams = (await probeJson(res.output)).streams as any[];
  const video = streams.find((s) => s.codec_type === 'video');
  const audio = streams.find((s) => s.codec_type === 'audio');
  expect(Math.abs(Number(audio.start_time) - Number(video.start_time))).toBeLessThan(1 / SOURCE_FPS);
  expect(Math.abs(Number(audio.duration) - Number(video.duration))).toBeLessThan(1 / SOURCE_FPS);
  const forecast = await forecastSmartCut({
    input, start, end, info: await mustProbe(input), ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', signal: new AbortController().signal,
  });
  expect(forecast.ok && forecast.reencodedSec).toBeCloseTo(res.reencodedSec!, 3);
  expect((await readdir(res.scratch)).filter((f) => f.includes('smart-cut'))).toEqual([]);
}

// Keyframes at every whole second of the source (`shift` moves them, for the edit list).
const keyframeCuts = (shift: number): [string, number, number][] => [
  ['on a keyframe', 2 + shift, 4.5 + shift],
  ['just before a keyframe', 1.95 + shift, 4 + shift],
  ['just after a keyframe', 2.04 + shift, 4.3 + shift],
  ['between keyframes', 1.5 + shift, 4.6 + shift],
];

describe('smart cut of other sources', { timeout: 120_000 }, () => {
  let closed: string;
  beforeAll(async () => {
    closed = await makeClosedGopSource(dir, 'closed-gop');
  }, 60_000);

  describe('an mp4 whose edit list starts inside a GOP (stream-copied from 0.5 s)', () => {
    let edited: string;
    beforeAll(async () => {
      edited = await makeEditListMp4(dir, closed, 0.5);
    }, 60_000);

    // The copy kept the source's GOP from 0 on: its keyframes sit at 0.5, 1.5, 2.5 … of the edited file.
    it.each(keyframeCuts(-0.5))('when the start is %s (%f → %f), then it is a smart cut of exactly those frames', async (_what, start, end) => {
      await expectExactSmartCut(edited, start, end, 15);
    });
  });

  describe('a Matroska source', () => {
    let mkv: string;
    beforeAll(async () => {
      mkv = await makeMatroska(dir, closed);
    }, 60_000);

    it.each(keyframeCuts(0))('when the start is %s (%f → %f), then it is a smart cut of exactly those frames', async (_what, start, end) => {
      await expectExactSmartCut(mkv, start, end);
    });

    it('when the range runs to the end of the file (0.3 → 6), then every frame to the last comes out', async () => {
      await expectExactSmartCut(mkv, 0.3, 6);
    });

    it('when aborted, then it rejects as aborted, leaves no ffmpeg running and removes the copied span and the pieces', async () => {
      const picture = await makeColourStepClip(dir, { colours: ['red', 'green', 'blue'], secondsEach: 4, fps: 25, gop: 50, bframes: true, audio: true, width: 640, height: 360 });
      const long = await makeMatroska(dir, picture, 'long');
      const controller = new AbortController();
      const scratch = join(dir, 'scratch-abort');
      await mkdir(scratch);
      const run = runSmartCut({
        input: long, output: join(scratch, 'job.out'), start: 0.5, end: 11, info: await mustProbe(long), ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe',
        scratchDir: scratch, signal: controller.signal, onProgress: () => controller.abort(),
      });
      await expect(run).rejects.toSatisfy((err: unknown) => err instanceof FfmpegError && err.aborted);
      expect(liveProcessCount()).toBe(0);
      expect(await readdir(scratch)).toEqual([]);
    });
  });

  describe('an MPEG-TS source starting at 1.4 s', () => {
    let ts: string;
    beforeAll(async () => {
      ts = await makeTransportStream(dir, closed, 1.4);
      expect(Number((await probeJson(ts)).format.start_time)).toBeCloseTo(1.4, 1);
    }, 60_000);

    it.each(keyframeCuts(0))('when the start is %s (%f → %f), then it is a smart cut of exactly those frames', async (_what, start, end) => {
      await expectExactSmartCut(ts, start, end);
    });

    it('when the range starts at the first frame (0 → 3.5), then that frame comes out first', async () => {
      await expectExactSmartCut(ts, 0, 3.5);
    });

    it('when its GOP is longer than a second (keyframes at 0 and 3 s; 1.2 → 4.5), then the keyframe before the start is still found', async () => {
      // A listing of an MPEG-TS file seeks forward: from 0.2 s it would begin on the keyframe at 3 s.
      const longGop = await makeTransportStream(dir, await makeClosedGopSource(dir, 'long-gop', 3), 1.4, 'long-gop');
      await expectExactSmartCut(longGop, 1.2, 4.5);
    });
  });

  describe('an open-GOP H.264 mp4 with IDR pictures at 0, 3 and 6 s only', () => {
    let open: string;
    beforeAll(async () => {
      open = await makeOpenGopSource(dir, [3, 6]);
    }, 60_000);

    it.each([
      ['on an open-GOP I-frame', 2, 4.5],
      ['just before an open-GOP I-frame', 1.95, 4],
      ['just after an open-GOP I-frame', 1.04, 4.2],
      ['between I-frames', 1.5, 6.5],
      ['just after an IDR picture, with the next one in the range', 3.04, 6.5],
    ])('when the start is %s (%f → %f), then the copy starts on the next IDR picture and the frames are exact', async (_what, start, end) => {
      await expectExactSmartCut(open, start, end);
    });

    it('when the head up to the next IDR picture is re-encoded, then that is what the run reports', async () => {
      const res = await smartCut(open, 1.04, 4.2);
      // Frames 32 … 89 are re-encoded (up to the IDR picture at 3 s), and none at the end (4.2 lies past a clean cut).
      expect(res.reencodedSec).toBeGreaterThanOrEqual(3 - 32 / SOURCE_FPS - 1e-6);
    });

    it('when there is no IDR picture between the start and the end, then it falls back and says why', async () => {
      const res = await smartCut(open, 3.04, 5.5);
      expect(res.outcome).toBe('unsupported');
      expect(res.reason).toMatch(/open GOP .*no IDR picture/);
      expect(await readdir(res.scratch)).toEqual([]);
    });
  });
});
