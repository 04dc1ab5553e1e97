import { describe, expect, it } from 'vitest';
import { buildIdrCheckArgs, buildSmartCutCopyArgs, buildSmartCutEncodeArgs, buildSmartCutJoinArgs, parseSmartCutStream, type SmartCutStream } from '../../../src/media/smart-cut-args.js';
import { hevcDecodeFrom, hevcPieceEncoderArgs, matchHevcCoding } from '../../../src/media/smart-cut-hevc.js';

const HEVC: SmartCutStream = { codec: 'hevc', profile: 'main10', level: 123, pixFmt: 'yuv420p10le', timeBase: { num: 1, den: 12800 }, origin: 0 };

/** The value after `flag` in argv. */
function after(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

describe('matchHevcCoding', () => {
  it('when the stream is 4:2:0 Main or Main 10, then it maps to the x265 profile, the pixel format and the level', () => {
    expect(matchHevcCoding({ profile: 'Main', pix_fmt: 'yuv420p', level: 93 })).toEqual({ ok: true, profile: 'main', pixFmt: 'yuv420p', level: 93 });
    expect(matchHevcCoding({ profile: 'Main 10', pix_fmt: 'yuv420p10le', level: 153 })).toEqual({ ok: true, profile: 'main10', pixFmt: 'yuv420p10le', level: 153 });
  });

  it('when the level is not one HEVC defines, then no level is asked for', () => {
    expect(matchHevcCoding({ profile: 'Main', pix_fmt: 'yuv420p', level: 40 })).toMatchObject({ ok: true, level: null });
  });

  it('when the profile is a range extension or the pixel format does not fit the profile, then it says why', () => {
    expect(matchHevcCoding({ profile: 'Rext', pix_fmt: 'yuv422p' })).toEqual({ ok: false, reason: 'HEVC profile Rext cannot be matched (only Main and Main 10)' });
    expect(matchHevcCoding({ profile: 'Main 10', pix_fmt: 'yuv420p' })).toEqual({ ok: false, reason: 'pixel format yuv420p cannot be matched in HEVC Main 10' });
  });
});

describe('parseSmartCutStream with HEVC', () => {
  it('when the video is HEVC Main 10, then the stream says so, with the x265 profile', () => {
    const json = {
      streams: [{ index: 0, codec_type: 'video', codec_name: 'hevc', profile: 'Main 10', level: 123, pix_fmt: 'yuv420p10le', width: 1280, height: 720, time_base: '1/12800' }],
      format: { start_time: '0.000000' },
    };
    expect(parseSmartCutStream(json)).toMatchObject({ ok: true, stream: HEVC });
  });
});

describe('HEVC argv', () => {
  it('encodes a piece with x265: no B-frames, one closed GOP, parameter sets in-band, the source level', () => {
    const args = hevcPieceEncoderArgs({ timescale: 12800, pixFmt: 'yuv420p10le', profile: 'main10', level: 123 });
    expect(after(args, '-c:v')).toBe('libx265');
    expect(after(args, '-profile:v')).toBe('main10');
    expect(after(args, '-enc_time_base')).toBe('1/12800');
    expect(after(args, '-x265-params')!.split(':')).toEqual(expect.arrayContaining(['bframes=0', 'open-gop=0', 'keyint=-1', 'repeat-headers=1', 'level-idc=4.1']));
  });

  it('decodes a piece from a second before its first frame, trimming up to it', () => {
    const args = buildSmartCutEncodeArgs({ input: '/in.mp4', output: '/head.mp4', seekTo: 10.5, frames: 4, stream: HEVC, dtsShiftTicks: 1536 });
    expect(after(args, '-ss')).toBe('9.500000');
    expect(after(args, '-vf')).toBe('trim=start=1.000000,setpts=PTS-STARTPTS');
    expect(hevcDecodeFrom(0.4)).toBe(0);
    // At 2 fps, 17 frames are more than a second.
    expect(hevcDecodeFrom(20, 0.5)).toBe(11.5);
  });

  it('copies with the parameter sets put in-band and the leading pictures left out, joins as hev1, and checks for any IRAP picture', () => {
    expect(after(buildSmartCutCopyArgs({ input: '/in.mp4', output: '/c.mp4', keyframe: 2, stopAfter: 1.9, stream: HEVC }), '-bsf:v')).toBe(
      'hevc_mp4toannexb,noise=drop=lt(pts*tb\\,-0.0005)',
    );
    expect(after(buildSmartCutJoinArgs({ listFile: '/l.ffconcat', input: '/in.mp4', output: '/o.mp4', audio: null, stream: HEVC }), '-tag:v')).toBe('hev1');
    expect(after(buildIdrCheckArgs('/in.mp4', 2, 0.04, 'hevc'), '-bsf:v')).toBe('filter_units=pass_types=16-21');
    expect(after(buildIdrCheckArgs('/in.mp4', 2, 0.04), '-bsf:v')).toBe('filter_units=pass_types=5');
  });
});
