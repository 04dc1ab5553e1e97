import { describe, expect, it } from 'vitest';
import { COMMON_ARGS } from '../../../workers/ffmpeg/argv.js';
import {
  buildPacketProbeArgs,
  buildSmartCutConcatList,
  buildSmartCutCopyArgs,
  buildSmartCutEncodeArgs,
  buildSmartCutJoinArgs,
  parseIdrCheck,
  parsePacketList,
  parseSmartCutStream,
  type SmartCutStream,
} from '../../../workers/ffmpeg/smart-cut-args.js';

const STREAM: SmartCutStream = { profile: 'high', level: 40, pixFmt: 'yuv420p', timeBase: { num: 1, den: 15360 }, origin: 0 };

function probed(stream: Record<string, unknown>, format: Record<string, unknown> = { start_time: '0.000000' }) {
  return {
    streams: [
      {
        codec_name: 'h264',
        profile: 'High',
        level: 40,
        pix_fmt: 'yuv420p',
        width: 1920,
        height: 1080,
        time_base: '1/15360',
        field_order: 'progressive',
        ...stream,
      },
    ],
    format,
  };
}

describe('parseSmartCutStream', () => {
  it('when the stream is progressive H.264 High 4.0, then it maps to the x264 profile and level', () => {
    expect(parseSmartCutStream(probed({}, { start_time: '1.400000' }))).toEqual({
      ok: true,
      stream: { profile: 'high', level: 40, pixFmt: 'yuv420p', timeBase: { num: 1, den: 15360 }, origin: 1.4 },
    });
    const baseline = parseSmartCutStream(probed({ profile: 'Constrained Baseline', level: 31 }));
    expect(baseline.ok && baseline.stream.profile).toBe('baseline');
  });

  it.each([
    [{ codec_name: 'hevc' }],
    [{ profile: 'High 4:4:4 Intra' }],
    [{ pix_fmt: 'nv12' }],
    [{ width: 1919 }],
    [{ field_order: 'tt' }],
    [{ time_base: '1001/30000' }],
  ])('when the stream has %o, then it is refused', (override) => {
    expect(parseSmartCutStream(probed(override)).ok).toBe(false);
  });
});

describe('parsePacketList', () => {
  it('when ffprobe lists packets (some with an empty side-data column), then keyframes are flagged', () => {
    expect(parsePacketList('0,-1024,K_\n1536,-512,__,\n\n512,0,__\n')).toEqual([
      { pts: 0, dts: -1024, key: true },
      { pts: 1536, dts: -512, key: false },
      { pts: 512, dts: 0, key: false },
    ]);
  });

  it('when a packet has no timestamp or is to be discarded, then the list is refused', () => {
    expect(parsePacketList('23,N/A,K_\n')).toBeNull();
    expect(parsePacketList('0,0,K_D\n')).toBeNull();
  });
});

describe('parseIdrCheck', () => {
  const header = '#extradata 0:       36, 0xae2909f5\n#tb 0: 1/12800\n#media_type 0: video\n#codec_id 0: h264\n';

  it('when an IDR packet at the keyframe was printed, then it is an IDR', () => {
    expect(parseIdrCheck(`${header}0,      -1024,          0,      512,      253, 0x25e88404\n`, 0.04)).toBe(true);
  });

  it('when nothing was printed or the packet is elsewhere, then it is not', () => {
    expect(parseIdrCheck(header, 0.04)).toBe(false);
    expect(parseIdrCheck(`${header}0,      -1024,      25600,      512,      253, 0x25e88404\n`, 0.04)).toBe(false);
  });
});

describe('smart cut argv', () => {
  it('when a head is encoded, then it matches the source stream and pulls its dts back', () => {
    const args = buildSmartCutEncodeArgs({ input: '/in.mp4', output: '/head.mp4', seekTo: 10.483333, frames: 45, stream: STREAM, dtsShiftTicks: 1024 });
    expect(args.slice(0, COMMON_ARGS.length)).toEqual([...COMMON_ARGS]);
    expect(args.slice(COMMON_ARGS.length)).toEqual([
      '-noautorotate', '-ss', '10.483333', '-i', '/in.mp4', '-map', '0:v:0',
      '-vf', 'setpts=PTS-STARTPTS', '-frames:v', '45', '-fps_mode', 'passthrough', '-enc_time_base', '1/15360',
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-bf', '0',
      '-pix_fmt', 'yuv420p', '-profile:v', 'high', '-level:v', '40', '-x264-params', 'stitchable=1:sps-id=1',
      '-bsf:v', 'setts=dts=DTS-1024', '-video_track_timescale', '15360', '-f', 'mp4', '/head.mp4',
    ]);
  });

  it('when there are no B-frames, then no dts filter is added', () => {
    const args = buildSmartCutEncodeArgs({ input: '/in.mp4', output: '/t.mp4', seekTo: 1, frames: 1, stream: { ...STREAM, level: null }, dtsShiftTicks: 0 });
    expect(args).not.toContain('-bsf:v');
    expect(args).not.toContain('-level:v');
  });

  it('when the copy has a stop point, then -t is set; a copy to the end has none', () => {
    const args = buildSmartCutCopyArgs({ input: 'in.mp4', output: '/c.mp4', keyframe: 12, stopAfter: 97.95, stream: STREAM });
    expect(args.slice(COMMON_ARGS.length)).toEqual([
      '-ss', '12.000000', '-i', 'file:in.mp4', '-map', '0:v:0', '-c:v', 'copy', '-t', '97.950000',
      '-video_track_timescale', '15360', '-f', 'mp4', '/c.mp4',
    ]);
    expect(buildSmartCutCopyArgs({ input: '/in.mp4', output: '/c.mp4', keyframe: 12, stopAfter: null, stream: STREAM })).not.toContain('-t');
  });

  it('when joined with audio, then the audio is cut from the first frame for the output length', () => {
    const args = buildSmartCutJoinArgs({ listFile: '/l.ffconcat', input: '/in.mp4', output: '/o.mp4', firstFrame: 10.5, length: 100, hasAudio: true, stream: STREAM });
    expect(args.slice(COMMON_ARGS.length)).toEqual([
      '-f', 'concat', '-safe', '0', '-i', '/l.ffconcat', '-ss', '10.500000', '-t', '100.000000', '-i', '/in.mp4',
      '-map', '0:v:0', '-map', '1:a:0', '-c:v', 'copy', '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2',
      '-video_track_timescale', '15360', '-movflags', '+faststart', '-f', 'mp4', '/o.mp4',
    ]);
  });

  it('when listed, then every piece but the last carries its duration', () => {
    expect(buildSmartCutConcatList([{ path: "/t/a's.mp4", duration: 1.5 }, { path: '/t/b.mp4', duration: 2 }])).toBe(
      "ffconcat version 1.0\nfile '/t/a'\\''s.mp4'\nduration 1.500000\nfile '/t/b.mp4'\n",
    );
  });

  it('when packets are probed, then the interval is absolute seconds', () => {
    expect(buildPacketProbeArgs('/in.mp4', 9.5, 32)).toContain('9.500000%32.000000');
  });
});
