/**
 * Smart cut of HEVC with real ffmpeg/x265, on frame-coded clips (frame n shows n): 25 fps, keyframes
 * every 2 s (frames 0, 50, 100, 150 …), AAC audio. Open GOP is x265's default: every keyframe after
 * the first is a CRA picture whose leading (RASL) pictures refer to the GOP before it.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forecastSmartCut, runSmartCut, type SmartCutOutcome } from '../../src/media/smart-cut.js';
import { HVC1_REASON } from '../../src/media/smart-cut-args.js';
import { firstDifference, readFrameNumbers } from '../helpers/frame-code.js';
import { makeFrameCodedHevcClip, type HevcClipOptions } from '../helpers/hevc-sources.js';
import { decodeErrors, mustProbe, probeJson, runTool } from '../helpers/media.js';

const FPS = 25;
const GOP = 50;

let dir: string;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smart-cut-hevc-test-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs a smart cut into a scratch dir of its own; says why it fell back, or how much it re-encoded. */
async function cut(input: string, start: number, end: number) {
  const scratch = await mkdtemp(join(dir, 'scratch-'));
  const told: { reason: string | null; reencodedSec: number | null } = { reason: null, reencodedSec: null };
  const output = join(scratch, 'cut.out');
  const outcome: SmartCutOutcome = await runSmartCut({
    ...{ input, output, start, end, info: await mustProbe(input), scratchDir: scratch },
    ...{ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', signal: new AbortController().signal, onProgress: () => {} },
    onUnsupported: (reason) => (told.reason = reason),
    onDone: (summary) => (told.reencodedSec = summary.reencodedSec),
  });
  return { outcome, output, scratch, ...told };
}

function forecast(input: string, start: number, end: number) {
  return mustProbe(input).then((info) => forecastSmartCut({ input, start, end, info, ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', signal: new AbortController().signal }));
}

function streamOf(json: any, type: 'video' | 'audio'): any {
  return (json.streams as any[]).find((s) => s.codec_type === type);
}

/** MD5 and keyframe flag of every video packet, in file order. */
async function videoPackets(file: string): Promise<{ hash: string; key: boolean }[]> {
  const res = await runTool('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_data_hash', 'MD5', '-show_entries', 'packet=flags,data_hash', '-of', 'csv=p=0', file]);
  if (res.code !== 0) throw new Error(`hashing ${file} failed: ${res.stderr}`);
  return res.stdout
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [flags, hash] = line.split(',');
      return { hash: hash!.trim(), key: flags!.includes('K') };
    });
}

/** A full decode that stops at the first bitstream error, CRC mismatch or concealed slice; '' when clean. */
async function strictDecodeErrors(file: string): Promise<string> {
  const res = await runTool('ffmpeg', ['-nostdin', '-v', 'error', '-err_detect', '+crccheck+bitstream+buffer+explode', '-xerror', '-i', file, '-f', 'null', '-']);
  return res.code === 0 ? res.stderr.trim() : `exit ${res.code}: ${res.stderr.trim()}`;
}

/** How many end-of-sequence NAL units (type 36) the video of `file` holds, found by their start code in its Annex B form. */
async function endOfSequenceUnits(file: string): Promise<number> {
  const res = await runTool('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', file, '-map', '0:v:0', '-c', 'copy', '-bsf:v', 'hevc_mp4toannexb', '-f', 'hevc', '-']);
  if (res.code !== 0) throw new Error(`reading ${file} failed: ${res.stderr}`);
  const eos = Buffer.from([0, 0, 1, 0x48, 0x01]);
  let count = 0;
  for (let at = res.stdout.indexOf(eos); at >= 0; at = res.stdout.indexOf(eos, at + 1)) count++;
  return count;
}

/**
 * Asserts a smart cut (not the fallback) whose output holds exactly the source frames
 * [first at/after start, first at/after end), decodes without a single error, copies the middle's
 * packets untouched, keeps the source's coding, and has audio ending within a frame of the video.
 */
async function expectExactHevcCut(source: string, start: number, end: number): Promise<void> {
  const res = await cut(source, start, end);
  expect(res.reason).toBeNull();
  expect(res.outcome).toBe('smart-cut');

  const first = Math.ceil(start * FPS - 1e-6);
  const stop = Math.ceil(end * FPS - 1e-6);
  const want = Array.from({ length: stop - first }, (_, i) => first + i);
  const got = await readFrameNumbers(res.output);
  expect(firstDifference(got, want), `got ${got.length} frames ${got[0]}…${got[got.length - 1]}`).toBe(-1);
  expect(await decodeErrors(res.output)).toBe('');
  expect(await strictDecodeErrors(res.output)).toBe('');
  // A re-encoded head ends its sequence, so that the copy's first keyframe (a CRA, in an open GOP) starts one.
  expect(await endOfSequenceUnits(res.output)).toBe(first % GOP === 0 ? 0 : 1);

  // What was not re-encoded is the source's packets, bit for bit, but for its keyframes: they carry
  // the source's parameter sets in front.
  const copiedFrames = want.length - Math.round(res.reencodedSec! * FPS);
  expect(copiedFrames).toBeGreaterThan(0);
  const [outPackets, srcPackets] = await Promise.all([videoPackets(res.output), videoPackets(source)]);
  const fromSource = new Set(srcPackets.map((p) => p.hash));
  const identical = outPackets.filter((p) => fromSource.has(p.hash)).length;
  expect(identical).toBeLessThanOrEqual(copiedFrames);
  expect(identical + outPackets.filter((p) => p.key).length).toBeGreaterThanOrEqual(copiedFrames);

  const [src, out] = await Promise.all([probeJson(source), probeJson(res.output)]);
  const [s, o] = [streamOf(src, 'video'), streamOf(out, 'video')];
  // In-band parameter sets (each piece's own before its first picture) are allowed in hev1 only.
  expect(o.codec_tag_string).toBe('hev1');
  for (const key of ['codec_name', 'profile', 'level', 'pix_fmt', 'width', 'height', 'time_base', 'r_frame_rate']) expect(o[key], key).toEqual(s[key]);
  expect(Number(o.start_time)).toBe(0);
  const a = streamOf(out, 'audio');
  expect(a?.codec_name).toBe('aac');
  expect(Math.abs(Number(a.start_time))).toBeLessThanOrEqual(1 / FPS);
  expect(Math.abs(Number(a.duration) - Number(o.duration))).toBeLessThan(1 / FPS);
  expect(Math.abs(Number(o.duration) - want.length / FPS)).toBeLessThan(0.5 / FPS);

  // The dry run says what the run did.
  expect(await forecast(source, start, end)).toEqual({ ok: true, reencodedSec: res.reencodedSec, lengthSec: expect.closeTo(want.length / FPS, 6) });
  expect((await readdir(res.scratch)).filter((f) => f.includes('smart-cut'))).toEqual([]);
}

const CUTS: [string, number, number][] = [
  ['starts on a keyframe, ends between keyframes', 2, 4.6],
  ['starts just after a keyframe, ends between keyframes', 2.04, 5],
  ['starts just before a keyframe, ends at the end of the file', 3.96, 6],
  ['starts two frames before a keyframe (among its leading pictures in an open GOP)', 1.92, 4.6],
  ['starts between keyframes, ends on a keyframe', 1.3, 4],
  ['starts between keyframes, ends just after a keyframe', 1.3, 4.04],
  ['starts between frames, ends between frames across two keyframes', 0.51, 5.29],
];

const BASE: Omit<HevcClipOptions, 'name'> = { durationSec: 6, fps: FPS, gop: GOP, openGop: true, container: 'mp4', tag: 'hev1', pixFmt: 'yuv420p', audio: true };

const SOURCES: [string, Partial<HevcClipOptions>][] = [
  ['open-GOP HEVC (x265 defaults) in mp4', {}],
  ['open-GOP HEVC with deeper B-frame pyramids (x265 preset fast) in mp4', { preset: 'fast' }],
  ['closed-GOP HEVC in mp4', { openGop: false }],
  ['open-GOP Main 10 HEVC in mov', { container: 'mov', pixFmt: 'yuv420p10le' }],
];

for (const [label, overrides] of SOURCES) {
  describe(`smart cut of ${label}`, { timeout: 60_000 }, () => {
    let source: string;

    beforeAll(async () => {
      source = await makeFrameCodedHevcClip(dir, { ...BASE, ...overrides, name: `src-${++n}` });
    }, 60_000);

    for (const [name, start, end] of CUTS) {
      it(`${name} (${start} → ${end})`, async () => {
        await expectExactHevcCut(source, start, end);
      });
    }
  });
}

describe('smart cut of HEVC tagged hvc1', { timeout: 60_000 }, () => {
  it('when the source keeps its parameter sets in the sample entry (hvc1), then it falls back with the reason, writes nothing, and the dry run says the same', async () => {
    const source = await makeFrameCodedHevcClip(dir, { ...BASE, tag: 'hvc1', name: 'hvc1-source' });
    expect(streamOf(await probeJson(source), 'video').codec_tag_string).toBe('hvc1');
    const res = await cut(source, 1.3, 4.6);
    expect(res.outcome).toBe('unsupported');
    expect(res.reason).toBe(HVC1_REASON);
    expect(await readdir(res.scratch)).toEqual([]);
    expect(await forecast(source, 1.3, 4.6)).toEqual({ ok: false, reason: res.reason });
  });
});

describe('smart cut of HEVC that x265 cannot match', { timeout: 60_000 }, () => {
  for (const [variant, pixFmt] of [['4:2:2', 'yuv422p'], ['Main 12', 'yuv420p12le']] as const) {
    it(`when the source is ${variant} (a range extension), then it falls back with the reason, writes nothing, and the dry run says the same`, async () => {
      const source = await makeFrameCodedHevcClip(dir, { ...BASE, pixFmt, name: `rext-${pixFmt}` });
      expect(streamOf(await probeJson(source), 'video').profile).toBe('Rext');
      const res = await cut(source, 1.3, 4.6);
      expect(res.outcome).toBe('unsupported');
      expect(res.reason).toBe('HEVC profile Rext cannot be matched (only Main and Main 10)');
      expect(await readdir(res.scratch)).toEqual([]);
      expect(await forecast(source, 1.3, 4.6)).toEqual({ ok: false, reason: res.reason });
    });
  }
});
