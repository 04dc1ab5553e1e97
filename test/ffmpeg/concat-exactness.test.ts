/**
 * Concat exactness of issue 14 with real FFmpeg on frame-coded clips: every output frame is read
 * back by its number and time, and the audio by where a beep of known source time sounds.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Video } from '../../src/domain/video.js';
import type { MediaInfo } from '../../src/media/media-info.js';
import { runSmartConcat } from '../../src/media/smart-concat.js';
import { runCopyTrim } from '../../src/media/copy-trim.js';
import { concatProcessor } from '../../workers/processors/concat.processor.js';
import type { ProcessorContext, ProcessorResult } from '../../workers/processors/processor.js';
import { makeIntroAndMain, withFullAudio } from '../helpers/concat-sources.js';
import { makeFrameCodedClip, readFrameNumbers } from '../helpers/frame-code.js';
import {
  audioAtJoins,
  audioPacketTimes,
  firstSoundAt,
  frameCovering,
  makeCfrBeepClip,
  makeDroppedFrameVfrClip,
  makeJitteredVfrClip,
  smartCutInScratch,
  timedFrames,
  type TimedFrame,
} from '../helpers/concat-exactness-sources.js';
import { decodeErrors, mustProbe, packetSpans, probeJson } from '../helpers/media.js';

let dir: string;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'concat-exactness-test-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function streamsOf(json: any): { video: any; audio: any } {
  const streams = json.streams as any[];
  return { video: streams.find((s) => s.codec_type === 'video'), audio: streams.find((s) => s.codec_type === 'audio') };
}

/** Runs the concat job's processor on the files, as the worker does. */
async function concatJob(files: string[]): Promise<{ result: ProcessorResult; output: string; infos: MediaInfo[] }> {
  const scratch = join(dir, `job-${++n}`);
  await mkdir(scratch);
  const infos = await Promise.all(files.map(mustProbe));
  const inputs = infos.map((info, i) => ({ id: `input-${i}`, media: info, durationSec: info.durationSec }) as unknown as Video);
  const ctx = {
    inputs,
    inputPaths: files,
    outputPath: join(scratch, 'job.out'),
    scratchPath: join(scratch, 'job.list'),
    ffmpegPath: 'ffmpeg',
    ffprobePath: 'ffprobe',
    signal: new AbortController().signal,
    onProgress: () => {},
  } as unknown as ProcessorContext;
  const result = await concatProcessor(ctx);
  return { result, output: ctx.outputPath, infos };
}

/** Output frames split where the frame code goes back (to the next input's first frames). */
function sections(frames: readonly TimedFrame[]): TimedFrame[][] {
  const out: TimedFrame[][] = [];
  frames.forEach((f, i) => {
    if (i === 0 || (f.frame ?? 0) < (frames[i - 1]!.frame ?? 0)) out.push([]);
    out.at(-1)!.push(f);
  });
  return out;
}

/**
 * How far (s) each output frame of a section is from showing the source frame that covers its time:
 * 0 when it shows that frame, else the distance between the frame it shows and the covering one.
 */
function coverErrors(section: readonly TimedFrame[], source: readonly TimedFrame[]): number[] {
  const start = section[0]!.time;
  return section.map((f) => {
    const want = frameCovering(source, f.time - start);
    const shown = source.find((s) => s.frame === f.frame);
    return shown === undefined ? Infinity : Math.abs(shown.time - want.time);
  });
}

describe('filter concat of variable-frame-rate inputs', { timeout: 240_000 }, () => {
  const BEEP = { cfr: 0.5, dropped: 1.0, jittered: 2.0 };
  let cfr: string;
  let dropped: string;
  let jittered: string;
  let sources: Map<string, TimedFrame[]>;
  beforeAll(async () => {
    [cfr, dropped, jittered] = await Promise.all([
      makeCfrBeepClip(dir, 'cfr', 2, 30, BEEP.cfr),
      makeDroppedFrameVfrClip(dir, 'dropped', 4, BEEP.dropped),
      makeJitteredVfrClip(dir, 'jittered', 4, BEEP.jittered),
    ]);
    sources = new Map(await Promise.all([cfr, dropped, jittered].map(async (f) => [f, await timedFrames(f)] as const)));
  }, 120_000);

  it('when the sources are probed, then the dropped-frame and the jittered clips are variable frame rate', async () => {
    const [a, b, c] = await Promise.all([cfr, dropped, jittered].map(mustProbe));
    expect([a!.video.variableFrameRate ?? false, b!.video.variableFrameRate, c!.video.variableFrameRate]).toEqual([false, true, true]);
  });

  it('when VFR inputs follow a 30 fps one, then the output is 30/1 CFR, each frame shows the source frame covering its time, the audio stays within a frame and the job says so', async () => {
    const files = [cfr, dropped, jittered];
    const { result, output } = await concatJob(files);
    expect(result).toMatchObject({
      method: 'concat-filter',
      normalizedFrameRate: '30/1',
      vfrInputs: [1, 2],
      fallbackReason: 'input 1 has a variable frame rate (a filter concat re-times it to a constant rate)',
    });
    const { video } = streamsOf(await probeJson(output));
    expect([video.r_frame_rate, video.avg_frame_rate]).toEqual(['30/1', '30/1']);
    const frames = await timedFrames(output);
    // Constant rate: every step one frame (to the time base's rounding).
    const steps = frames.slice(1).map((f, i) => f.time - frames[i]!.time);
    expect(Math.max(...steps.map((s) => Math.abs(s - 1 / 30)))).toBeLessThan(0.0005);
    const parts = sections(frames);
    expect(parts.map((p) => p.length)).toEqual([60, 120, 120]);
    let at = 0;
    for (const [i, part] of parts.entries()) {
      const source = sources.get(files[i]!)!;
      const errors = coverErrors(part, source);
      expect({ input: i, worstSec: Math.max(...errors) }).toEqual({ input: i, worstSec: 0 });
      const beep = [BEEP.cfr, BEEP.dropped, BEEP.jittered][i]!;
      const heard = await firstSoundAt(output, at + beep - 0.1);
      expect(Math.abs(heard - (part[0]!.time + beep))).toBeLessThan(1 / 30);
      at = part.at(-1)!.time + 1 / 30;
    }
    expect(await decodeErrors(output)).toBe('');
  });

  it.each([
    ['dropped-frame', 'dropped', '30/1'],
    ['jittered (r_frame_rate 90000/1)', 'jittered', '30000/1001'],
  ])('when the first input is the %s VFR clip, then the output takes its stated rate (%s) and says so', async (_what, which, rate) => {
    const first = which === 'dropped' ? dropped : jittered;
    const { result, output } = await concatJob([first, cfr]);
    expect(result).toMatchObject({ method: 'concat-filter', normalizedFrameRate: rate, vfrInputs: [0] });
    const { video } = streamsOf(await probeJson(output));
    expect(video.avg_frame_rate).toBe(rate);
    const parts = sections(await timedFrames(output));
    expect(parts.map((part, i) => Math.max(...coverErrors(part, sources.get([first, cfr][i]!)!)))).toEqual([0, 0]);
  });
});

describe('smart concat joins: the AAC priming of each copied or re-encoded file', { timeout: 240_000 }, () => {
  let intro: string;
  let main: string;
  beforeAll(async () => {
    ({ intro, main } = await makeIntroAndMain(dir));
  }, 60_000);

  it.each([
    ['a re-encoded intro, the copied main and the intro again', 'intro-main-intro'],
    ['the copied main, a re-encoded intro and the main again', 'main-intro-main'],
  ])('when %s are joined, then each input\'s audio starts at its first frame and no packet overlaps the one before', async (_what, order) => {
    const files = order.split('-').map((name) => (name === 'intro' ? intro : main));
    const scratch = join(dir, `smart-${++n}`);
    await mkdir(scratch);
    const output = join(scratch, 'job.out');
    const outcome = await runSmartConcat({
      inputs: await Promise.all(files.map(async (path) => ({ path, info: await mustProbe(path) }))),
      output, ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', scratchDir: scratch, signal: new AbortController().signal, onProgress: () => {},
    });
    expect(outcome.ok).toBe(true);
    const parts = sections(await timedFrames(output));
    expect(parts).toHaveLength(3);
    const packets = await audioPacketTimes(output);
    const joins = audioAtJoins(packets, parts.slice(1).map((part) => part[0]!.time));
    for (const j of joins) {
      // The next input's first sound is at its first frame (to a sample)…
      expect(Math.abs(j.audioStartMs), JSON.stringify(j)).toBeLessThan(0.05);
      // …the packet before it ends by then, and the gap is less than one AAC frame (21.3 ms) and a millisecond.
      expect(j.overlapMs, JSON.stringify(j)).toBeLessThanOrEqual(0.05);
      expect(j.overlapMs, JSON.stringify(j)).toBeGreaterThan(-(1024 / 48 + 1));
    }
    // Nowhere else do two packets overlap or leave more than a frame between them.
    const steps = packets.slice(1).map((t, i) => (t - packets[i]!) * 48000);
    expect(Math.min(...steps)).toBeGreaterThan(1024 - 1);
    expect(Math.max(...steps)).toBeLessThan(2 * 1024 + 48);
    expect(await decodeErrors(output)).toBe('');
  });
});

describe('concat copy of smart-cut trims', { timeout: 240_000 }, () => {
  let src: string;
  beforeAll(async () => {
    src = await makeFrameCodedClip(dir, { name: 'smart-cut-src', durationSec: 8, fps: 30, gop: 30, bframes: 2, width: 160, height: 96 }).then((f) => withFullAudio(f, 8));
  }, 60_000);

  async function smartCut(start: number, end: number): Promise<string> {
    const { outcome, output } = await smartCutInScratch(dir, src, start, end);
    expect(outcome).toBe('smart-cut');
    return output;
  }

  it('when two smart cuts are joined in mode copy, then every frame lasts one frame, the join included, the first at 0, and the rate is 30/1', async () => {
    const cuts = await Promise.all([smartCut(1.51, 3.29), smartCut(4.2, 6.1)]);
    const { result, output } = await concatJob(cuts);
    expect(result.method).toBe('concat-copy');
    const frames = await timedFrames(output);
    expect(frames.map((f) => f.frame)).toEqual((await Promise.all(cuts.map(readFrameNumbers))).flat());
    expect(frames[0]!.time).toBeCloseTo(0, 3);
    const offBy = frames.slice(1).map((f, i) => Math.abs(f.time - frames[i]!.time - 1 / 30));
    expect(Math.max(...offBy)).toBeLessThan(0.002);
    const { video } = streamsOf(await probeJson(output));
    expect([video.r_frame_rate, video.avg_frame_rate]).toEqual(['30/1', '30/1']);
    expect((await mustProbe(output)).video.fps).toBe(30);
    // The sound still starts and ends with the picture, within one frame.
    const spans = await packetSpans(output);
    expect(Math.abs(spans.audio[0] - spans.video[0])).toBeLessThan(1 / 30);
    expect(Math.abs(spans.audio[1] - spans.video[1])).toBeLessThan(1 / 30);
    expect(await decodeErrors(output)).toBe('');
  });

  it('when two copy trims of the B-frame source are joined in mode copy, then no frame is held at the join either', async () => {
    const cuts = await Promise.all([[1, 2.5], [3, 4.5]].map(async ([start, end]) => {
      const output = join(dir, `copy-${++n}.mp4`);
      await runCopyTrim({ input: src, output, start: start!, end: end!, info: await mustProbe(src), ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', signal: new AbortController().signal, onProgress: () => {} });
      return output;
    }));
    const { result, output } = await concatJob(cuts);
    expect(result.method).toBe('concat-copy');
    const frames = await timedFrames(output);
    expect(frames.map((f) => f.frame)).toEqual((await Promise.all(cuts.map(readFrameNumbers))).flat());
    const offBy = frames.slice(1).map((f, i) => Math.abs(f.time - frames[i]!.time - 1 / 30));
    expect(Math.max(...offBy)).toBeLessThan(0.002);
    const spans = await packetSpans(output);
    expect(Math.abs(spans.audio[0] - spans.video[0])).toBeLessThan(1 / 30);
    expect(Math.abs(spans.audio[1] - spans.video[1])).toBeLessThan(1 / 30);
    expect(await decodeErrors(output)).toBe('');
  });
});
