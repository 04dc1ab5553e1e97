/**
 * Exactness failures of issue 14, each on a small frame-coded clip: every output frame is read back
 * by its number, so a lost, repeated or extra frame shows.
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAccurateTrimArgs, buildConcatFilterArgs } from '../../src/media/argv.js';
import { probeMedia, probeOutput } from '../../src/media/probe.js';
import { runFfmpeg } from '../../src/media/runner.js';
import { runSmartCut } from '../../src/media/smart-cut.js';
import { smartCutInScratch } from '../helpers/concat-exactness-sources.js';
import { makeFrameCodedClip, readFrameNumbers, zeroLastVideoFrameDuration } from '../helpers/frame-code.js';
import { decodeErrors, frameTimes, makePng, mustProbe, packetSpans, probeJson, runTool } from '../helpers/media.js';

let dir: string;
let n = 0;
const out = (): string => join(dir, `out-${++n}.mp4`);
const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exactness-test-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const SMALL = { width: 160, height: 96 };

function streamsOf(json: any): { video: any; audio: any } {
  const streams = json.streams as any[];
  return { video: streams.find((s) => s.codec_type === 'video'), audio: streams.find((s) => s.codec_type === 'audio') };
}

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

describe('filter concat', { timeout: 90_000 }, () => {
  let clip: string;
  beforeAll(async () => {
    clip = await makeFrameCodedClip(dir, { name: 'concat-src', durationSec: 4, fps: 25, gop: 25, ...SMALL });
  }, 30_000);

  async function concat(files: string[]): Promise<{ output: string; frames: (number | null)[] }> {
    const inputs = await Promise.all(files.map(async (path) => ({ path, info: await mustProbe(path) })));
    const output = out();
    await runFfmpeg({ args: buildConcatFilterArgs({ inputs, output }), expectedDurationSec: 1 });
    return { output, frames: await readFrameNumbers(output) };
  }

  it('when an input stores its last frame with zero duration, then every frame of it comes out once, at the input rate', async () => {
    const zeroLast = join(dir, 'zero-last.mp4');
    await copyFile(clip, zeroLast);
    await zeroLastVideoFrameDuration(zeroLast);
    const { output, frames } = await concat([zeroLast, clip]);
    expect(frames).toEqual([...range(0, 100), ...range(0, 100)]);
    expect(streamsOf(await probeJson(output)).video.r_frame_rate).toBe('25/1');
  });

  it('when the audio of an input outlasts its video by more than half a frame, then no frame is added after it', async () => {
    // 80 frames (3.2 s) of video with 3.3 s of audio, as a copy trim leaves a file.
    const longAudio = join(dir, 'long-audio.mp4');
    const res = await runTool('ffmpeg', [
      '-v', 'error', '-y', '-t', '3.2', '-i', clip, '-f', 'lavfi', '-i', 'sine=frequency=300:sample_rate=48000:duration=3.3',
      '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-c:a', 'aac', longAudio,
    ]);
    expect(res.stderr).toBe('');
    const made = streamsOf(await probeJson(longAudio));
    expect([Number(made.video.nb_frames), Number(made.audio.duration)]).toEqual([80, 3.3]);
    const { output, frames } = await concat([clip, longAudio, clip]);
    expect(frames).toEqual([...range(0, 100), ...range(0, 80), ...range(0, 100)]);
    const { video, audio } = streamsOf(await probeJson(output));
    // The audio is cut with the video: it ends within one frame of it.
    expect(Math.abs(Number(audio.duration) - Number(video.duration))).toBeLessThan(0.04);
  });
});

describe('re-encode trim of an open-GOP source', { timeout: 90_000 }, () => {
  let openGop: string;
  beforeAll(async () => {
    // Keyframes every second; each keyframe's leading B-frames (shown just before it) refer to the GOP before.
    openGop = await makeFrameCodedClip(dir, { name: 'open-gop', durationSec: 4, fps: 30, gop: 30, bframes: 3, openGop: true, ...SMALL });
  }, 30_000);

  it.each([
    ['one frame before a keyframe', 1.966667, 2.5, 59, 16],
    ['two frames before a keyframe', 0.933333, 1.2, 28, 8],
    ['on a keyframe', 2, 2.5, 60, 15],
    ['just after a keyframe', 1.033333, 1.5, 31, 14],
    ['at the very start', 0, 0.3, 0, 9],
  ])('when the start is %s (%f → %f), then every frame from the first at/after start comes out once, decoding cleanly', async (_what, start, end, first, count) => {
    const output = out();
    await runFfmpeg({ args: buildAccurateTrimArgs({ input: openGop, output, start, end, hasAudio: true, fps: 30 }), expectedDurationSec: end - start });
    expect(await readFrameNumbers(output)).toEqual(range(first, count));
    expect(await decodeErrors(output)).toBe('');
    const { video, audio } = streamsOf(await probeJson(output));
    expect(Math.abs(Number(audio.duration) - Number(video.duration))).toBeLessThan(1 / 30 + 0.001);
  });
});

describe('a browser-recorded WebM (VP9 + Opus, no duration, no cues)', { timeout: 90_000 }, () => {
  let recording: string;
  beforeAll(async () => {
    const coded = await makeFrameCodedClip(dir, { name: 'recording-src', durationSec: 2, fps: 30, gop: 30, ...SMALL });
    recording = join(dir, 'recording.webm');
    // -live 1 writes the WebM as MediaRecorder does: clusters as they come, no duration, no cues.
    const res = await runTool('ffmpeg', [
      '-v', 'error', '-y', '-i', coded, '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '400k',
      '-c:a', 'libopus', '-f', 'webm', '-live', '1', recording,
    ]);
    if (res.code !== 0) throw new Error(res.stderr);
  }, 30_000);

  it('when it is uploaded, then the probe accepts it with the length of its packets', async () => {
    const json = await probeJson(recording);
    expect([json.format.duration, streamsOf(json).video.duration, streamsOf(json).video.tags?.DURATION]).toEqual([undefined, undefined, undefined]);
    const probed = await probeMedia(recording);
    expect(probed.ok ? 'ok' : probed.reason).toBe('ok');
    expect(probed.ok && Math.abs(probed.info.durationSec - 2)).toBeLessThanOrEqual(1 / 30);
    expect(probed.ok && probed.info.container).toBe('webm');
  });

  it('when it is trimmed, then every frame of the range comes out', async () => {
    const info = await mustProbe(recording);
    const output = out();
    await runFfmpeg({ args: buildAccurateTrimArgs({ input: recording, output, start: 1, end: 1.5, hasAudio: info.audio !== null, fps: info.video.fps }), expectedDurationSec: 0.5 });
    expect(await readFrameNumbers(output)).toEqual(range(30, 15));
  });
});

describe('re-encode trim of an MPEG-TS source whose video starts after the file', { timeout: 90_000 }, () => {
  let ts: string;
  beforeAll(async () => {
    const coded = await makeFrameCodedClip(dir, { name: 'ts-src', durationSec: 5, fps: 30, gop: 60, ...SMALL });
    ts = join(dir, 'source.ts');
    const res = await runTool('ffmpeg', ['-v', 'error', '-y', '-i', coded, '-c', 'copy', '-output_ts_offset', '1.445', '-f', 'mpegts', ts]);
    if (res.code !== 0) throw new Error(res.stderr);
  }, 30_000);

  async function trimTs(start: number, end: number): Promise<string> {
    const info = await mustProbe(ts);
    const output = out();
    const args = buildAccurateTrimArgs({
      input: ts, output, start, end, hasAudio: info.audio !== null, fps: info.video.fps, videoStartOffsetSec: info.video.startOffsetSec ?? 0,
    });
    await runFfmpeg({ args, expectedDurationSec: end - start });
    return output;
  }

  it('when it is probed, then the offset of its first frame from the file start is recorded', async () => {
    const json = await probeJson(ts);
    const offset = Number(streamsOf(json).video.start_time) - Number(json.format.start_time);
    expect(offset).toBeGreaterThan(0.001);
    expect((await mustProbe(ts)).video.startOffsetSec).toBeCloseTo(offset, 5);
  });

  it.each([
    [0.26, 2.5, 8, 67],
    [2, 4, 60, 60],
    [3, 3.1, 90, 3],
  ])('when %f → %f is trimmed, then the frames counted from the first frame come out, with the audio ending with them', async (start, end, first, count) => {
    const output = await trimTs(start, end);
    expect(await readFrameNumbers(output)).toEqual(range(first, count));
    const probed = await probeOutput(output);
    expect(probed.ok ? 'ok' : probed.reason).toBe('ok');
    const { video, audio } = streamsOf(await probeJson(output));
    expect(Math.abs(Number(audio.duration) - Number(video.duration))).toBeLessThan(1 / 30 + 0.001);
  });
});

describe('smart cut of a 60 fps source with AAC audio', { timeout: 90_000 }, () => {
  let src: string;
  beforeAll(async () => {
    src = await makeFrameCodedClip(dir, { name: 'sixty', durationSec: 8, fps: 60, gop: 60, bframes: 2, ...SMALL });
  }, 30_000);

  it.each([
    [1.51, 5.29, 91, 227],
    [0.5, 6.9, 30, 384],
    [2.25, 4.1, 135, 111],
  ])('when %f → %f is cut, then every frame comes out once and the audio starts and ends within one frame (16.7 ms) of the video', async (start, end, first, count) => {
    const { outcome, output } = await smartCutInScratch(dir, src, start, end);
    expect(outcome).toBe('smart-cut');
    expect(await readFrameNumbers(output)).toEqual(range(first, count));
    expect(await decodeErrors(output)).toBe('');
    const { video, audio } = await packetSpans(output);
    expect(Math.abs(audio[0] - video[0])).toBeLessThan(1 / 60);
    expect(Math.abs(audio[1] - video[1])).toBeLessThan(1 / 60);
  });
});

describe('re-encode trim of a variable-frame-rate source', { timeout: 90_000 }, () => {
  let vfr: string;
  // Of a 30 fps clip, frames n ≡ 1 (mod 4) and n ≡ 3 (mod 7) are left out, the others keep their times n/30.
  const kept = (n: number): boolean => n % 4 !== 1 && n % 7 !== 3;
  beforeAll(async () => {
    const coded = await makeFrameCodedClip(dir, { name: 'vfr-src', durationSec: 6, fps: 30, gop: 30, ...SMALL });
    vfr = join(dir, 'vfr.mp4');
    const res = await runTool('ffmpeg', [
      '-v', 'error', '-y', '-i', coded, '-vf', "select='not(eq(mod(n,4),1))*not(eq(mod(n,7),3))'", '-fps_mode', 'passthrough',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-c:a', 'copy', vfr,
    ]);
    if (res.code !== 0) throw new Error(res.stderr);
  }, 30_000);

  it('when it is probed, then it is marked as variable frame rate, at its average rate', async () => {
    const info = await mustProbe(vfr);
    expect(info.video.variableFrameRate).toBe(true);
    expect(info.video.fps).toBeLessThan(25);
  });

  it.each([
    [1, 2.5],
    [0.95, 3.3],
    [2.1, 2.2],
  ])('when %f → %f is trimmed, then every source frame of the range comes out once, at its own time, against audio from start to end', async (start, end) => {
    const info = await mustProbe(vfr);
    const output = out();
    const args = buildAccurateTrimArgs({ input: vfr, output, start, end, hasAudio: true, fps: info.video.fps, variableFrameRate: info.video.variableFrameRate ?? false });
    await runFfmpeg({ args, expectedDurationSec: end - start });
    const want = range(Math.ceil(start * 30 - 1e-6), Math.ceil(end * 30 - 1e-6) - Math.ceil(start * 30 - 1e-6)).filter(kept);
    expect(await readFrameNumbers(output)).toEqual(want);
    const times = await frameTimes(output);
    const { audio } = await packetSpans(output);
    // Each frame is shown where it was in the source against the sound, which starts at 0 (to the millisecond).
    const offBy = times.map((t, i) => Math.abs(t - (want[i]! / 30 - start)));
    expect(Math.max(...offBy)).toBeLessThan(0.001);
    expect(Math.abs(audio[1] - (end - start))).toBeLessThan(0.001);
    expect(await decodeErrors(output)).toBe('');
  });
});

describe('smart cut of an mp4 with an edit list', { timeout: 90_000 }, () => {
  let coded: string;
  beforeAll(async () => {
    coded = await makeFrameCodedClip(dir, { name: 'edit-list-src', durationSec: 6, fps: 30, gop: 30, bframes: 2, ...SMALL });
  }, 30_000);

  async function smartCut(input: string, start: number, end: number): Promise<{ outcome: string; reason: string | null; output: string }> {
    const scratch = join(dir, `scratch-${++n}`);
    await mkdir(scratch);
    const output = join(scratch, 'job.out');
    let reason: string | null = null;
    const outcome = await runSmartCut({
      input, output, start, end, info: await mustProbe(input), ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', scratchDir: scratch,
      signal: new AbortController().signal, onProgress: () => {}, onUnsupported: (why) => (reason = why),
    });
    return { outcome, reason, output };
  }

  it('when its video starts 0.5 s after its audio (an empty edit), then the cut counts from the first frame', async () => {
    const late = join(dir, 'late-video.mp4');
    const res = await runTool('ffmpeg', ['-v', 'error', '-y', '-itsoffset', '0.5', '-i', coded, '-i', coded, '-map', '0:v', '-map', '1:a', '-c', 'copy', late]);
    expect(res.stderr).toBe('');
    expect((await mustProbe(late)).video.startOffsetSec).toBeCloseTo(0.5, 3);
    const { outcome, output } = await smartCut(late, 2.2, 3.3);
    expect(outcome).toBe('smart-cut');
    expect(await readFrameNumbers(output)).toEqual(range(66, 33));
    expect(await decodeErrors(output)).toBe('');
  });

  it('when its edit list starts inside the first GOP (a copy from 0.5 s), then a seek would miss the keyframe and the span is copied first', async () => {
    const edited = join(dir, 'edit-list.mp4');
    const res = await runTool('ffmpeg', ['-v', 'error', '-y', '-ss', '0.5', '-i', coded, '-c', 'copy', edited]);
    expect(res.stderr).toBe('');
    const { outcome, reason, output } = await smartCut(edited, 2.2, 3.3);
    expect([outcome, reason]).toEqual(['smart-cut', null]);
    // Frame i of the edited file is frame i + 15 of the clip it was copied from.
    expect(await readFrameNumbers(output)).toEqual(range(81, 33));
    expect(await decodeErrors(output)).toBe('');
  });
});
