import { describe, expect, it } from 'vitest';
import {
  COMMON_ARGS,
  buildAccurateTrimArgs,
  buildConcatCopyArgs,
  buildConcatFilterArgs,
  buildConcatList,
  buildCopyTrimArgs,
  canConcatByCopy,
  concatCopyJoinDuration,
  concatFilterTiming,
  formatSeconds,
  frameRateFraction,
  parseFraction,
  pathArg,
} from '../../../src/media/argv.js';
import { MediaInputError } from '../../../src/media/errors.js';
import { extensionForContainer, muxerForContainer, type MediaInfo } from '../../../src/media/media-info.js';

const PREFIX = ['-hide_banner', '-nostdin', '-y', '-v', 'error', '-progress', 'pipe:1', '-nostats'];
const X264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p'];
const AAC = ['-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2'];

function info(overrides: { video?: Partial<MediaInfo['video']>; audio?: MediaInfo['audio'] } & Partial<Omit<MediaInfo, 'video' | 'audio'>> = {}): MediaInfo {
  const { video, audio, ...rest } = overrides;
  return {
    container: 'mp4',
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSec: 2,
    sizeBytes: 1000,
    bitRate: 4000,
    video: {
      codec: 'h264',
      profile: 'High',
      width: 320,
      height: 240,
      fps: 25,
      frameRate: '25/1',
      pixFmt: 'yuv420p',
      sar: '1:1',
      timeBase: '1/12800',
      hasBFrames: true,
      ...video,
    },
    audio: audio === undefined ? { codec: 'aac', sampleRate: 48000, channels: 2, channelLayout: 'stereo' } : audio,
    ...rest,
  };
}

describe('formatSeconds', () => {
  it('formats with exactly six decimals', () => {
    expect(formatSeconds(2)).toBe('2.000000');
    expect(formatSeconds(0)).toBe('0.000000');
    expect(formatSeconds(3.01)).toBe('3.010000');
    expect(formatSeconds(0.1 + 0.2)).toBe('0.300000');
    expect(formatSeconds(3725.5)).toBe('3725.500000');
  });

  it('rounds to the microsecond and never uses exponent notation', () => {
    expect(formatSeconds(1e-7)).toBe('0.000000');
    expect(formatSeconds(4e-6)).toBe('0.000004');
    expect(formatSeconds(12.3456785)).toMatch(/^12\.34567[89]$/);
    expect(formatSeconds(1e9)).toBe('1000000000.000000');
  });

  it('rejects negative and non-finite numbers', () => {
    expect(() => formatSeconds(-1)).toThrow(MediaInputError);
    expect(() => formatSeconds(Number.NaN)).toThrow(MediaInputError);
    expect(() => formatSeconds(Number.POSITIVE_INFINITY)).toThrow(MediaInputError);
    expect(() => formatSeconds(1e300)).toThrow(MediaInputError);
  });
});

describe('frame rates', () => {
  it('maps numeric fps to exact fractions', () => {
    expect(frameRateFraction(25)).toEqual({ num: 25, den: 1 });
    expect(frameRateFraction(30)).toEqual({ num: 30, den: 1 });
    expect(frameRateFraction(29.97)).toEqual({ num: 30000, den: 1001 });
    expect(frameRateFraction(23.976)).toEqual({ num: 24000, den: 1001 });
    expect(frameRateFraction(59.94)).toEqual({ num: 60000, den: 1001 });
    expect(frameRateFraction(12.5)).toEqual({ num: 25, den: 2 });
    expect(frameRateFraction(1)).toEqual({ num: 1, den: 1 });
  });

  it('rejects impossible fps', () => {
    expect(() => frameRateFraction(0)).toThrow(MediaInputError);
    expect(() => frameRateFraction(-25)).toThrow(MediaInputError);
    expect(() => frameRateFraction(Number.NaN)).toThrow(MediaInputError);
    expect(() => frameRateFraction(90000)).toThrow(MediaInputError);
  });

  it('parses ffprobe fractions', () => {
    expect(parseFraction('30000/1001')).toEqual({ num: 30000, den: 1001 });
    expect(parseFraction('50/2')).toEqual({ num: 25, den: 1 });
    expect(parseFraction('25')).toEqual({ num: 25, den: 1 });
    expect(parseFraction('0/0')).toBeNull();
    expect(parseFraction('1/0')).toBeNull();
    expect(parseFraction('25;rm -rf')).toBeNull();
    expect(parseFraction(null)).toBeNull();
  });
});

describe('MediaInputError', () => {
  it('when an input check fails, then the error says so by class and name, and is no RangeError a crash handler would take', () => {
    let caught: unknown;
    try {
      buildCopyTrimArgs({ input: '/a', output: '/b', start: 2, end: 1, muxer: 'mp4' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MediaInputError);
    expect(caught).toBeInstanceOf(Error);
    expect(caught).not.toBeInstanceOf(RangeError);
    expect((caught as Error).name).toBe('MediaInputError');
    expect((caught as Error).message).toMatch(/end \(1\) must be greater than start \(2\)/);
  });
});

describe('pathArg', () => {
  it('keeps absolute paths and protects relative ones with file:', () => {
    expect(pathArg('/data/in.mp4')).toBe('/data/in.mp4');
    expect(pathArg('-evil.mp4')).toBe('file:-evil.mp4');
    expect(pathArg('http:x')).toBe('file:http:x');
    expect(() => pathArg('')).toThrow(MediaInputError);
  });
});

describe('buildAccurateTrimArgs', () => {
  it('seeks on the input a second early, picks frames by presentation time in filters and re-encodes to CFR mp4', () => {
    const args = buildAccurateTrimArgs({ input: '/in/a.mp4', output: '/out/x.tmp', start: 3, end: 5, hasAudio: true, fps: 25 });
    // Frames 75 … 124 (3.00 … 4.96 s) are 1.00 … 2.96 s after the seek point; the bounds sit half a frame early.
    expect(args).toEqual([
      ...PREFIX,
      '-ss', '2.000000',
      '-i', '/in/a.mp4',
      '-map', '0:v:0',
      '-map', '0:a:0',
      '-vf', 'trim=start=0.980000:end=2.980000,setpts=PTS-STARTPTS,scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p',
      '-af', 'atrim=start=1.000000:end=3.000000,asetpts=PTS-STARTPTS',
      '-fps_mode', 'cfr',
      '-r', '25',
      ...X264,
      ...AAC,
      '-movflags', '+faststart',
      '-f', 'mp4',
      '/out/x.tmp',
    ]);
  });

  it('starts the audio on the first frame at/after start when start falls between frames', () => {
    const args = buildAccurateTrimArgs({ input: '/in/a.mp4', output: '/out/x.tmp', start: 3.01, end: 4.99, hasAudio: true, fps: 25 });
    // frames at 3.04 … 4.96 are kept; audio covers the same 3.04 … 5.00 span
    expect(args[args.indexOf('-vf') + 1]).toBe(
      'trim=start=1.010000:end=2.970000,setpts=PTS-STARTPTS,scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p',
    );
    expect(args[args.indexOf('-ss') + 1]).toBe('2.010000');
    expect(args[args.indexOf('-af') + 1]).toBe('atrim=start=1.030000:end=2.990000,asetpts=PTS-STARTPTS');
  });

  it('when frame 0 sits after the file start (MPEG-TS), then seeking and trimming count from frame 0', () => {
    const args = buildAccurateTrimArgs({ input: '/in/a.ts', output: '/out/x.tmp', start: 3, end: 5, hasAudio: true, fps: 25, videoStartOffsetSec: 0.5 });
    expect(args[args.indexOf('-ss') + 1]).toBe('2.500000');
    expect(args[args.indexOf('-vf') + 1]).toMatch(/^trim=start=0\.980000:end=2\.980000,/);
    expect(args[args.indexOf('-af') + 1]).toMatch(/^atrim=start=1\.000000:end=3\.000000,/);
    expect(() => buildAccurateTrimArgs({ input: '/a', output: '/b', start: 0, end: 1, hasAudio: false, fps: 25, videoStartOffsetSec: -1 })).toThrow(MediaInputError);
  });

  it('when the source has a variable frame rate, then every frame in [start, end) is kept at its own time, video and audio moved by start alike', () => {
    const args = buildAccurateTrimArgs({ input: '/in/v.mp4', output: '/out/x.tmp', start: 3, end: 5, hasAudio: true, fps: 24.73, variableFrameRate: true });
    expect(args).toEqual([
      ...PREFIX,
      '-ss', '2.000000',
      '-i', '/in/v.mp4',
      '-map', '0:v:0',
      '-map', '0:a:0',
      '-vf', 'trim=start=0.999500:end=2.999500,setpts=PTS-1.000000/TB,scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p',
      '-af', 'atrim=start=1.000000:end=3.000000,asetpts=PTS-STARTPTS',
      '-fps_mode', 'passthrough',
      '-enc_time_base', '-1',
      ...X264,
      ...AAC,
      '-movflags', '+faststart',
      '-f', 'mp4',
      '/out/x.tmp',
    ]);
  });

  it('uses the NTSC fraction for 29.97 and leaves audio out when there is none', () => {
    const args = buildAccurateTrimArgs({ input: '/in/a.mov', output: '/out/x.tmp', start: 0, end: 1.5, hasAudio: false, fps: 29.97 });
    expect(args).toEqual([
      ...PREFIX,
      '-ss', '0.000000',
      '-i', '/in/a.mov',
      '-map', '0:v:0',
      '-vf', 'trim=start=0.000000:end=1.484817,setpts=PTS-STARTPTS,scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p',
      '-fps_mode', 'cfr',
      '-r', '30000/1001',
      ...X264,
      '-movflags', '+faststart',
      '-f', 'mp4',
      '/out/x.tmp',
    ]);
    expect(args).not.toContain('-af');
    expect(args).not.toContain('aac');
  });

  it('validates its numbers', () => {
    const base = { input: '/a.mp4', output: '/b.tmp', hasAudio: true, fps: 25 };
    expect(() => buildAccurateTrimArgs({ ...base, start: 2, end: 2 })).toThrow(MediaInputError);
    expect(() => buildAccurateTrimArgs({ ...base, start: 3, end: 1 })).toThrow(MediaInputError);
    expect(() => buildAccurateTrimArgs({ ...base, start: -1, end: 1 })).toThrow(MediaInputError);
    expect(() => buildAccurateTrimArgs({ ...base, start: Number.NaN, end: 1 })).toThrow(MediaInputError);
    expect(() => buildAccurateTrimArgs({ ...base, start: 0, end: 1, fps: Number.POSITIVE_INFINITY })).toThrow(MediaInputError);
    // 3.01 … 3.03 contains no frame of a 25 fps grid (3.00, 3.04)
    expect(() => buildAccurateTrimArgs({ ...base, start: 3.01, end: 3.03 })).toThrow(/no frame/);
    expect(() => buildAccurateTrimArgs({ ...base, start: 3.01, end: 3.03 })).toThrow(MediaInputError);
  });
});

describe('buildCopyTrimArgs', () => {
  it('stream-copies mp4 in one pass (no faststart rewrite)', () => {
    expect(buildCopyTrimArgs({ input: '/in/a.mp4', output: '/out/x.tmp', start: 1.5, end: 4, muxer: 'mp4' })).toEqual([
      ...PREFIX,
      '-ss', '1.500000',
      '-to', '4.000000',
      '-i', '/in/a.mp4',
      '-map', '0:v:0',
      '-map', '0:a?',
      '-c', 'copy',
      '-avoid_negative_ts', 'make_zero',
      '-f', 'mp4',
      '/out/x.tmp',
    ]);
  });

  it('names the muxer for other containers and validates it', () => {
    const args = buildCopyTrimArgs({ input: '/in/a.mkv', output: '/out/x.tmp', start: 0, end: 1, muxer: 'matroska' });
    expect(args).not.toContain('-movflags');
    expect(args.slice(-3)).toEqual(['-f', 'matroska', '/out/x.tmp']);
    expect(() => buildCopyTrimArgs({ input: '/a', output: '/b', start: 0, end: 1, muxer: 'mp4 -i x' })).toThrow(MediaInputError);
    expect(() => buildCopyTrimArgs({ input: '/a', output: '/b', start: 1, end: 1, muxer: 'mp4' })).toThrow(MediaInputError);
  });
});

describe('concat list and copy concat', () => {
  it('writes an ffconcat list with quoted paths', () => {
    expect(buildConcatList(['/data/a.mp4', '/data/b c.mp4'])).toBe(
      "ffconcat version 1.0\nfile '/data/a.mp4'\nfile '/data/b c.mp4'\n",
    );
  });

  it("escapes single quotes as '\\''", () => {
    expect(buildConcatList(["/data/it's.mp4"])).toBe("ffconcat version 1.0\nfile '/data/it'\\''s.mp4'\n");
  });

  it('rejects line breaks and empty lists, resolves relative paths', () => {
    expect(() => buildConcatList(['/data/a\nfile /etc/passwd'])).toThrow(MediaInputError);
    expect(() => buildConcatList([])).toThrow(MediaInputError);
    expect(buildConcatList(['rel.mp4'])).toBe(`ffconcat version 1.0\nfile '${process.cwd()}/rel.mp4'\n`);
  });

  it('when durations are given, then every file but the last gets its own, to the microsecond', () => {
    expect(buildConcatList(['/a.mp4', '/b.mp4', '/c.mp4'], [1.7666666, null, 2])).toBe(
      "ffconcat version 1.0\nfile '/a.mp4'\nduration 1.766667\nfile '/b.mp4'\nfile '/c.mp4'\n",
    );
    expect(() => buildConcatList(['/a.mp4', '/b.mp4'], [0, 1])).toThrow(MediaInputError);
  });

  it('when a concat copy joins a file, then the next starts after its video, not its audio or its rounded file duration', () => {
    expect(concatCopyJoinDuration(info({ durationSec: 1.767, video: { fps: 30, frameCount: 53, durationSec: 1.766667 } }))).toBe(1.766667);
    // Its last frame stored with zero duration: 25 frames at 25 fps last 1 s.
    expect(concatCopyJoinDuration(info({ durationSec: 0.96, video: { frameCount: 25, durationSec: 0.96 } }))).toBe(1);
    expect(concatCopyJoinDuration(info({ video: { durationSec: null } }))).toBeNull();
    // Matroska's DURATION tag is where the stream ends, not how long it is: the file's duration stays.
    expect(concatCopyJoinDuration(info({ container: 'matroska', video: { durationSec: 1.021 } }))).toBeNull();
    expect(concatCopyJoinDuration(info({ video: { durationSec: 1.5, startOffsetSec: 0.5 } }))).toBeNull();
  });

  it('builds the concat-demuxer copy argv', () => {
    expect(buildConcatCopyArgs({ listFile: '/tmp/list.txt', output: '/out/x.tmp', muxer: 'mov' })).toEqual([
      ...PREFIX,
      '-copyts',
      '-f', 'concat',
      '-safe', '0',
      '-i', '/tmp/list.txt',
      '-map', '0:v:0',
      '-map', '0:a?',
      '-c', 'copy',
      '-f', 'mov',
      '/out/x.tmp',
    ]);
    expect(buildConcatCopyArgs({ listFile: '/l.txt', output: '/o.tmp', muxer: 'webm' })).not.toContain('-copyts');
    expect(buildConcatCopyArgs({ listFile: '/l.txt', output: '/o.tmp', muxer: 'webm' }).slice(-3)).toEqual([
      '-f', 'webm', '/o.tmp',
    ]);
  });
});

describe('canConcatByCopy', () => {
  it('accepts identical formats, with or without audio', () => {
    expect(canConcatByCopy([info(), info({ durationSec: 7, sizeBytes: 5 })])).toBe(true);
    expect(canConcatByCopy([info({ audio: null }), info({ audio: null })])).toBe(true);
    expect(canConcatByCopy([info()])).toBe(true);
  });

  it('refuses empty input and any differing parameter', () => {
    expect(canConcatByCopy([])).toBe(false);
    const variants: MediaInfo[] = [
      info({ container: 'mov' }),
      info({ video: { codec: 'hevc' } }),
      info({ video: { profile: 'Main' } }),
      info({ video: { width: 640 } }),
      info({ video: { height: 360 } }),
      info({ video: { sar: '4:3' } }),
      info({ video: { pixFmt: 'yuv420p10le' } }),
      info({ video: { frameRate: '30000/1001', fps: 29.97 } }),
      info({ video: { timeBase: '1/90000' } }),
      info({ video: { rotation: 90 } }),
      info({ audio: null }),
      info({ audio: { codec: 'mp3', sampleRate: 48000, channels: 2, channelLayout: 'stereo' } }),
      info({ audio: { codec: 'aac', sampleRate: 44100, channels: 2, channelLayout: 'stereo' } }),
      info({ audio: { codec: 'aac', sampleRate: 48000, channels: 1, channelLayout: 'mono' } }),
      info({ audio: { codec: 'aac', sampleRate: 48000, channels: 2, channelLayout: null } }),
    ];
    for (const other of variants) {
      expect(canConcatByCopy([info(), other])).toBe(false);
      expect(canConcatByCopy([other, info()])).toBe(false);
    }
  });

  it('treats a missing rotation as 0', () => {
    expect(canConcatByCopy([info({ video: { rotation: 0 } }), info()])).toBe(true);
  });
});

describe('buildConcatFilterArgs', () => {
  it('when the audio outlasts the video, then the segment lasts as long as its video frames', () => {
    const args = buildConcatFilterArgs({
      inputs: [{ path: '/in/a.mp4', info: info({ durationSec: 3.3, video: { frameCount: 80, durationSec: 3.2 } }) }],
      output: '/out/x.tmp',
    });
    const graph = args[args.indexOf('-filter_complex') + 1]!;
    expect(graph).toContain('trim=end_frame=80[v0]');
    expect(graph).toContain(`atrim=end_sample=${3.2 * 48000}[a0]`);
  });

  it('when the last frame has zero duration, then the frame count wins over the stream duration', () => {
    const args = buildConcatFilterArgs({
      inputs: [{ path: '/in/a.mp4', info: info({ durationSec: 0.96, video: { frameCount: 25, durationSec: 0.96 } }) }],
      output: '/out/x.tmp',
    });
    expect(args[args.indexOf('-filter_complex') + 1]).toContain('trim=end_frame=25[v0]');
  });

  it('normalises every input to the first one and pads missing audio with silence', () => {
    const args = buildConcatFilterArgs({
      inputs: [
        { path: '/in/a.mp4', info: info({ durationSec: 2 }) },
        {
          path: '/in/b.webm',
          info: info({
            container: 'webm',
            durationSec: 1.508,
            video: { codec: 'vp9', width: 640, height: 360, fps: 30, frameRate: '30/1' },
            audio: { codec: 'opus', sampleRate: 48000, channels: 1, channelLayout: 'mono' },
          }),
        },
        { path: '/in/c.mp4', info: info({ durationSec: 1, audio: null }) },
      ],
      output: '/out/x.tmp',
    });
    const norm = (i: number, frames: number): string =>
      `[${i}:v:0]setpts=PTS-STARTPTS-0.001000/TB,scale=320:240:force_original_aspect_ratio=decrease:force_divisible_by=2,` +
      `pad=320:240:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25:round=up,format=yuv420p,tpad=stop=-1:stop_mode=clone,trim=end_frame=${frames}[v${i}]`;
    const audio = (i: number, samples: number): string =>
      `[${i}:a:0]asetpts=PTS-STARTPTS,aresample=48000,aformat=sample_rates=48000:channel_layouts=stereo,` +
      `apad,atrim=end_sample=${samples}[a${i}]`;
    const graph = [
      norm(0, 50),
      audio(0, 96000),
      norm(1, 38), // 1.508 s → 38 frames at 25 fps = 1.52 s
      audio(1, 72960),
      norm(2, 25),
      'anullsrc=channel_layout=stereo:sample_rate=48000,atrim=end_sample=48000[a2]',
      '[v0][a0][v1][a1][v2][a2]concat=n=3:v=1:a=1[v][a]',
    ].join(';');
    expect(args).toEqual([
      ...PREFIX,
      '-i', '/in/a.mp4',
      '-i', '/in/b.webm',
      '-i', '/in/c.mp4',
      '-filter_complex', graph,
      '-map', '[v]',
      '-map', '[a]',
      '-fps_mode', 'cfr',
      '-r', '25',
      ...X264,
      ...AAC,
      '-movflags', '+faststart',
      '-f', 'mp4',
      '/out/x.tmp',
    ]);
  });

  it('produces video only when no input has audio', () => {
    const args = buildConcatFilterArgs({
      inputs: [
        { path: '/in/a.mp4', info: info({ audio: null }) },
        { path: '/in/b.mp4', info: info({ audio: null, durationSec: 3 }) },
      ],
      output: '/out/x.tmp',
    });
    const graph = args[args.indexOf('-filter_complex') + 1]!;
    expect(graph).not.toContain('anullsrc');
    expect(graph.endsWith('[v0][v1]concat=n=2:v=1:a=0[v]')).toBe(true);
    expect(args).not.toContain('[a]');
    expect(args).not.toContain('-c:a');
    expect(args.slice(-5)).toEqual(['-movflags', '+faststart', '-f', 'mp4', '/out/x.tmp']);
  });

  it('uses the exact first frame rate, even sizes and square pixels', () => {
    const args = buildConcatFilterArgs({
      inputs: [
        { path: '/in/a.mp4', info: info({ video: { width: 721, height: 405, fps: 29.97, frameRate: '30000/1001' } }) },
        { path: '/in/b.mp4', info: info({ video: { sar: '4:3' } }) },
      ],
      output: '/out/x.tmp',
    });
    const graph = args[args.indexOf('-filter_complex') + 1]!;
    expect(graph).toContain('scale=722:406:force_original_aspect_ratio=decrease');
    expect(graph).toContain('fps=30000/1001:round=up');
    // 2 s at 30000/1001 → 60 frames → 2.002 s → 96096 samples
    expect(graph).toContain('trim=end_frame=60[v0]');
    expect(graph).toContain('atrim=end_sample=96096[a0]');
    expect(graph).toContain('[1:v:0]setpts=PTS-STARTPTS-0.001000/TB,scale=trunc(iw*sar/2)*2:ih,setsar=1,scale=722:406');
  });

  it('when the first input has a variable frame rate, then the output takes its nominal rate, else the standard rate nearest its average', () => {
    const vfr = (video: Partial<MediaInfo['video']>) => info({ video: { fps: 19.25, frameRate: '77/4', variableFrameRate: true, ...video } });
    expect(concatFilterTiming([vfr({ nominalFrameRate: '30/1' }), info()])).toEqual({ rate: { num: 30, den: 1 }, rateText: '30/1', vfrInputs: [0] });
    expect(concatFilterTiming([vfr({ fps: 29.937, frameRate: '643937/21510' }), info(), vfr({})]).rateText).toBe('30000/1001');
    expect(concatFilterTiming([vfr({})]).rateText).toBe('24000/1001');
    expect(concatFilterTiming([info(), vfr({})])).toEqual({ rate: { num: 25, den: 1 }, rateText: '25/1', vfrInputs: [1] });
    const graph = (infos: MediaInfo[]) => {
      const args = buildConcatFilterArgs({ inputs: infos.map((i, k) => ({ path: `/in/${k}.mp4`, info: i })), output: '/o.mp4' });
      return [args[args.indexOf('-filter_complex') + 1]!, args[args.indexOf('-r') + 1]!];
    };
    const [g, r] = graph([vfr({ nominalFrameRate: '30/1' }), info()]);
    expect(r).toBe('30');
    expect(g).toContain('fps=30:round=up');
  });

  it('rejects empty and invalid inputs', () => {
    expect(() => buildConcatFilterArgs({ inputs: [], output: '/o' })).toThrow(MediaInputError);
    expect(() =>
      buildConcatFilterArgs({ inputs: [{ path: '/a', info: info({ durationSec: Number.NaN }) }], output: '/o' }),
    ).toThrow(MediaInputError);
    expect(() =>
      buildConcatFilterArgs({ inputs: [{ path: '/a', info: info({ video: { width: 0 } }) }], output: '/o' }),
    ).toThrow(MediaInputError);
  });
});

describe('container names', () => {
  it('maps containers to extensions and muxers', () => {
    const table: [string, string, string][] = [
      ['mp4', 'mp4', 'mp4'],
      ['mov', 'mov', 'mov'],
      ['matroska', 'mkv', 'matroska'],
      ['webm', 'webm', 'webm'],
      ['avi', 'avi', 'avi'],
      ['mpegts', 'ts', 'mpegts'],
      ['flv', 'flv', 'flv'],
      ['ogg', 'ogv', 'ogg'],
      ['asf', 'wmv', 'asf'],
      ['mxf', 'mkv', 'matroska'],
      ['toString', 'mkv', 'matroska'],
    ];
    for (const [container, ext, muxer] of table) {
      expect(extensionForContainer(container)).toBe(ext);
      expect(muxerForContainer(container)).toBe(muxer);
    }
  });

  it('starts every argv with the common prefix', () => {
    expect([...COMMON_ARGS]).toEqual(PREFIX);
  });
});
