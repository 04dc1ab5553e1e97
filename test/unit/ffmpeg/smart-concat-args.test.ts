import { describe, expect, it } from 'vitest';
import { COMMON_ARGS } from '../../../src/media/argv.js';
import { MediaInputError } from '../../../src/media/errors.js';
import type { MediaInfo } from '../../../src/media/media-info.js';
import { framesFromStreams } from '../../../src/media/output-probe.js';
import {
  buildConcatStreamProbeArgs,
  buildFirstVideoPacketArgs,
  buildSmartConcatEncodeArgs,
  buildSmartConcatJoinArgs,
  parseConcatStreamDetails,
} from '../../../src/media/smart-concat-args.js';
import { joinTimesSec, parsePrimingPackets } from '../../../src/media/smart-concat-audio.js';
import { MAIN_TARGET } from './smart-concat-fixtures.js';

const TARGET = MAIN_TARGET;

function intro(over: { sar?: string | null; audio?: boolean } = {}): MediaInfo {
  return {
    container: 'mp4',
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSec: 10,
    sizeBytes: 1,
    bitRate: null,
    video: { codec: 'h264', profile: 'High', width: 1280, height: 720, fps: 25, frameRate: '25/1', pixFmt: 'yuv420p', sar: over.sar === undefined ? '1:1' : over.sar, timeBase: '1/12800', hasBFrames: false },
    audio: over.audio === false ? null : { codec: 'aac', sampleRate: 44100, channels: 1, channelLayout: 'mono' },
  };
}

const valueAfter = (args: string[], flag: string, nth = 0): string | undefined => args.filter((_, i) => args[i - 1] === flag)[nth];

describe('buildSmartConcatEncodeArgs', () => {
  it('when an intro is re-encoded to the target, then the command is the matched x264 encode of exactly its frames, audio cut to their length', () => {
    const args = buildSmartConcatEncodeArgs({ input: '/v/intro.mp4', output: '/tmp/job.out.0.mp4', info: intro(), frames: 300, target: TARGET });
    expect(args).toEqual([
      ...COMMON_ARGS,
      '-i', '/v/intro.mp4',
      '-map', '0:v:0',
      '-vf',
      'setpts=PTS-STARTPTS,scale=1920:1080:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1920:1080:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30/1,format=yuv420p,tpad=stop=-1:stop_mode=clone,trim=end_frame=300',
      '-map', '0:a:0',
      '-af', 'asetpts=PTS-STARTPTS,aresample=48000,aformat=sample_rates=48000:channel_layouts=stereo,apad,atrim=end_sample=480000',
      '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2',
      '-fps_mode', 'passthrough',
      '-enc_time_base', '1/15360',
      '-c:v', 'libx264', '-preset', 'superfast', '-crf', '18', '-bf', '0',
      '-pix_fmt', 'yuv420p', '-profile:v', 'high', '-level:v', '40',
      '-x264-params', 'stitchable=1:sps-id=1',
      '-enc_time_base:a', '1/48000',
      '-bsf:v', 'setts=dts=DTS-1024',
      '-video_track_timescale', '15360',
      '-map_metadata', '-1',
      '-f', 'mp4', '/tmp/job.out.0.mp4',
    ]);
  });

  it('when the input has no audio, then silence in the target layout is its audio', () => {
    const args = buildSmartConcatEncodeArgs({ input: '/v/intro.mp4', output: '/tmp/o.mp4', info: intro({ audio: false }), frames: 300, target: TARGET });
    expect(valueAfter(args, '-i', 1)).toBe('anullsrc=channel_layout=stereo:sample_rate=48000');
    expect(valueAfter(args, '-map', 1)).toBe('1:a:0');
  });

  it('when the target has no audio, no level and no B-frame delay, then the command has no audio, no -level and no dts shift', () => {
    const args = buildSmartConcatEncodeArgs({ input: 'intro.mp4', output: 'o.mp4', info: intro(), frames: 1, target: { ...TARGET, audio: null, level: null, dtsShiftTicks: 0 } });
    expect(args).not.toContain('-af');
    expect(args).not.toContain('-level:v');
    expect(args).not.toContain('-bsf:v');
    expect(valueAfter(args, '-i')).toBe('file:intro.mp4');
  });

  it('when the input is anamorphic, then its pixels are made square before it is fitted', () => {
    const args = buildSmartConcatEncodeArgs({ input: '/v/i.mp4', output: '/tmp/o.mp4', info: intro({ sar: '4:3' }), frames: 10, target: TARGET });
    expect(valueAfter(args, '-vf')).toMatch(/^setpts=PTS-STARTPTS,scale=trunc\(iw\*sar\/2\)\*2:ih,setsar=1,scale=1920:1080/);
  });

  it.each([
    [{ frames: 0 }, /frames/],
    [{ target: { ...TARGET, width: 1919 } }, /width/],
    [{ target: { ...TARGET, dtsShiftTicks: -1 } }, /dts shift/],
    [{ target: { ...TARGET, timeBase: { num: 1001, den: 30000 } } }, /time base/],
    [{ target: { ...TARGET, profile: 'high;x' } }, /profile/],
    [{ target: { ...TARGET, audio: { sampleRate: 48000, channels: 2, channelLayout: 'stereo:x=1' } } }, /channel layout/],
  ])('when given %o, then it refuses', (over, message) => {
    expect(() => buildSmartConcatEncodeArgs({ input: '/v/i.mp4', output: '/tmp/o.mp4', info: intro(), frames: 10, target: TARGET, ...over })).toThrow(MediaInputError);
    expect(() => buildSmartConcatEncodeArgs({ input: '/v/i.mp4', output: '/tmp/o.mp4', info: intro(), frames: 10, target: TARGET, ...over })).toThrow(message);
  });
});

describe('buildSmartConcatJoinArgs', () => {
  it('when the pieces are joined, then the concat demuxer is copied with its own timestamps into mp4 at the target timescale', () => {
    expect(buildSmartConcatJoinArgs({ listFile: '/tmp/l.ffconcat', output: '/tmp/o.mp4', withAudio: true, timeBase: { num: 1, den: 15360 } })).toEqual([
      ...COMMON_ARGS,
      '-copyts',
      '-f', 'concat', '-safe', '0', '-i', '/tmp/l.ffconcat',
      '-map', '0:v:0', '-map', '0:a:0',
      '-c', 'copy',
      '-video_track_timescale', '15360',
      '-f', 'mp4', '/tmp/o.mp4',
    ]);
    expect(buildSmartConcatJoinArgs({ listFile: '/tmp/l', output: '/tmp/o.mp4', withAudio: false, timeBase: { num: 1, den: 90000 } })).not.toContain('0:a:0');
  });

  it('when the joins are given, then the packet reaching past each join and the next file\'s priming packets are dropped', () => {
    const [second, third] = joinTimesSec([2, 4, 2]);
    const joins = [{ atSec: second!, primingSec: [-1024 / 48000] }, { atSec: third!, primingSec: [-2112 / 48000, -1088 / 48000] }];
    const args = buildSmartConcatJoinArgs({ listFile: '/l', output: '/o.mp4', withAudio: true, timeBase: { num: 1, den: 15360 }, audioJoins: { joins, sampleRate: 48000 } });
    const window = (from: string, to: string) => `between(pts*tb\\,${from}\\,${to})`;
    expect(args.slice(args.indexOf('-bsf:a'), args.indexOf('-bsf:a') + 2)).toEqual([
      '-bsf:a',
      'noise=drop=' + [
        window('1.978698', '1.999969'), window('1.978635', '1.978698'),
        window('5.978698', '5.999969'), window('5.955969', '5.956031'), window('5.977302', '5.977365'),
      ].join('+'),
    ]);
    expect(joinTimesSec([1.0000004, 1.0000004, 3])).toEqual([1, 2]);
    expect(buildSmartConcatJoinArgs({ listFile: '/l', output: '/o.mp4', withAudio: true, timeBase: { num: 1, den: 15360 }, audioJoins: { joins: [], sampleRate: 48000 } })).not.toContain('-bsf:a');
  });

  it('when the first audio packets are probed, then those ending by the first sample are priming', () => {
    const packet = (pts: string, duration: string) => ({ pts_time: pts, duration_time: duration });
    expect(parsePrimingPackets({ packets: [packet('-0.021333', '0.021333'), packet('0.000000', '0.021333')] })).toEqual([-0.021333]);
    // A copied packet that starts before the first frame holds sound after it: not priming.
    expect(parsePrimingPackets({ packets: [packet('-0.018667', '0.021333'), packet('0.002667', '0.021333')] })).toEqual([]);
    expect(parsePrimingPackets({ packets: [packet('-0.044000', '0.021333'), packet('-0.022667', '0.021333'), packet('-0.001333', '0.021333')] })).toEqual([-0.044, -0.022667]);
    expect(parsePrimingPackets(null)).toEqual([]);
  });
});

describe('stream probes', () => {
  it('when the input is probed, then only headers and the first video packet are read', () => {
    expect(buildConcatStreamProbeArgs('/v/a.mp4')).toEqual([
      '-v', 'error', '-show_entries',
      'stream=index,codec_type,codec_name,profile,level,pix_fmt,width,height,field_order,time_base,sample_rate,channels,channel_layout,start_time,duration',
      '-of', 'json', '/v/a.mp4',
    ]);
    expect(buildFirstVideoPacketArgs('a.mp4')).toEqual(['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts,dts', '-read_intervals', '%+#1', '-of', 'json', 'file:a.mp4']);
  });

  it('when ffprobe answers, then the details hold the coding parameters, the B-frame delay and how much longer the audio lasts', () => {
    const streams = {
      streams: [
        { index: 1, codec_type: 'audio', codec_name: 'aac', profile: 'LC', sample_rate: '48000', channels: 2, channel_layout: 'stereo', time_base: '1/48000', start_time: '-0.021333', duration: '600.021333' },
        { index: 0, codec_type: 'video', codec_name: 'h264', profile: 'High', level: 40, width: 1920, height: 1080, pix_fmt: 'yuv420p', field_order: 'progressive', time_base: '1/15360', start_time: '0.000000', duration: '600.000000' },
      ],
    };
    expect(parseConcatStreamDetails(streams, { packets: [{ pts: 0, dts: -1024 }] })).toEqual({
      streamTypes: ['video', 'audio'],
      audioOverhangSec: 0.021333,
      audioLeadSec: 0.021333,
      video: { codec: 'h264', profile: 'High', level: 40, codedWidth: 1920, codedHeight: 1080, pixFmt: 'yuv420p', fieldOrder: 'progressive', timeBase: '1/15360', decodeDelayTicks: 1024 },
      audio: { codec: 'aac', profile: 'LC', sampleRate: 48000, channels: 2, channelLayout: 'stereo' },
    });
    expect(parseConcatStreamDetails(streams, null)!.video.decodeDelayTicks).toBeNull();
    expect(parseConcatStreamDetails({ streams: [streams.streams[0]] }, null)).toBeNull();
    expect(parseConcatStreamDetails('garbage', null)).toBeNull();
  });
});

describe('framesFromStreams', () => {
  it('when the container records the video frame count, then it and the first frame time come from the same probe', () => {
    const json = { streams: [{ codec_type: 'audio', nb_frames: '99' }, { codec_type: 'video', nb_frames: '9000', start_time: '0.0333334' }] };
    expect(framesFromStreams(json)).toEqual({ firstFrameSec: 0.033333, frameCount: 9000 });
  });

  it('when it does not (matroska), then there is nothing to read and the packets must be counted', () => {
    expect(framesFromStreams({ streams: [{ codec_type: 'video', start_time: '0.000000' }] })).toBeNull();
    expect(framesFromStreams({ streams: [{ codec_type: 'video', nb_frames: 'N/A' }] })).toBeNull();
    expect(framesFromStreams(null)).toBeNull();
  });
});
