import { describe, expect, it } from 'vitest';
import { COMMON_ARGS } from '../../../src/media/argv.js';
import { MediaInputError } from '../../../src/media/errors.js';
import {
  buildPacketProbeArgs,
  buildSmartCutConcatList,
  buildSmartCutCopyArgs,
  buildSmartCutEncodeArgs,
  buildSmartCutJoinArgs,
  buildIdrListArgs,
  parseIdrCheck,
  parseIdrTimes,
  parsePacketList,
  parseSmartCutStream,
  videoPackets,
  type SmartCutStream,
} from '../../../src/media/smart-cut-args.js';

const STREAM: SmartCutStream = { profile: 'high', level: 40, pixFmt: 'yuv420p', timeBase: { num: 1, den: 15360 }, origin: 0 };

function probed(stream: Record<string, unknown>, format: Record<string, unknown> = { start_time: '0.000000' }, others: Record<string, unknown>[] = []) {
  return {
    packets: [],
    streams: [
      {
        index: 0,
        codec_type: 'video',
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
      ...others,
    ],
    format,
  };
}

describe('parseSmartCutStream', () => {
  it('when the stream is progressive H.264 High 4.0, then it maps to the x264 profile and level', () => {
    expect(parseSmartCutStream(probed({}, { start_time: '1.400000' }))).toEqual({
      ok: true,
      stream: { profile: 'high', level: 40, pixFmt: 'yuv420p', timeBase: { num: 1, den: 15360 }, origin: 1.4 },
      layout: { videoIndex: 0, videoId: null, audio: null, timeBases: [{ num: 1, den: 15360 }] },
    });
    const baseline = parseSmartCutStream(probed({ profile: 'Constrained Baseline', level: 31 }));
    expect(baseline.ok && baseline.stream.profile).toBe('baseline');
  });

  it('when there are other streams, then the first video and the first audio stream are picked, and every time base kept', () => {
    const json = probed({ index: 1, id: '0x2' }, undefined, [
      { index: 0, codec_type: 'audio', codec_name: 'aac', time_base: '1/48000' },
      { index: 2, codec_type: 'audio', codec_name: 'mp3', time_base: '1/44100' },
      { index: 3, codec_type: 'data', time_base: '1/600' },
    ]);
    expect(parseSmartCutStream(json)).toMatchObject({
      ok: true,
      layout: {
        videoIndex: 1,
        videoId: 2,
        audio: { index: 0, codec: 'aac', timeBase: { num: 1, den: 48000 } },
        timeBases: [{ num: 1, den: 48000 }, { num: 1, den: 15360 }, { num: 1, den: 44100 }, { num: 1, den: 600 }],
      },
    });
  });

  it.each([
    [{ codec_name: 'hevc' }],
    [{ profile: 'High 4:4:4 Intra' }],
    [{ pix_fmt: 'nv12' }],
    [{ width: 1919 }],
    [{ field_order: 'tt' }],
    [{ time_base: '1001/30000' }],
    [{ codec_type: 'audio' }],
  ])('when the stream has %o, then it is refused', (override) => {
    expect(parseSmartCutStream(probed(override)).ok).toBe(false);
  });
});

describe('parsePacketList', () => {
  it('when ffprobe lists packets of several streams, then timestamps it left out are null and flags are read', () => {
    const json = {
      packets: [
        { stream_index: 0, pts: 0, dts: -1024, duration: 512, flags: 'K_' },
        { stream_index: 1, pts: -1024, dts: -1024, duration: 1024, flags: 'KD' },
        { stream_index: 0, pts: 1536, dts: -512, flags: '__' },
      ],
    };
    expect(parsePacketList(json)).toEqual([
      { stream: 0, pts: 0, dts: -1024, duration: 512, key: true, discard: false },
      { stream: 1, pts: -1024, dts: -1024, duration: 1024, key: true, discard: true },
      { stream: 0, pts: 1536, dts: -512, duration: null, key: false, discard: false },
    ]);
    expect(parsePacketList({})).toEqual([]);
  });

  it('when a packet has no stream or flags, then the list is refused', () => {
    expect(parsePacketList({ packets: [{ pts: 0, dts: 0, flags: 'K_' }] })).toBeNull();
    expect(parsePacketList({ packets: [{ stream_index: 0, pts: 0 }] })).toBeNull();
    expect(parsePacketList('0,0,K_')).toBeNull();
  });
});

describe('videoPackets', () => {
  const packet = (stream: number, pts: number | null, flags = '__') => ({ stream, pts, dts: pts, duration: 1, key: flags.includes('K'), discard: flags.includes('D') });

  it('when the listing holds several streams, then only the video packets are kept, in order', () => {
    expect(videoPackets([packet(0, 0, 'K_'), packet(1, 0, 'K_'), packet(0, 512)], 0)).toEqual([
      { pts: 0, dts: 0, key: true },
      { pts: 512, dts: 512, key: false },
    ]);
  });

  it('when a video packet lacks a timestamp or is to be discarded, then the list is refused; other streams may', () => {
    expect(videoPackets([packet(0, null)], 0)).toBeNull();
    expect(videoPackets([packet(0, 0, 'KD')], 0)).toBeNull();
    expect(videoPackets([packet(1, null), packet(0, 0, 'K_')], 0)).toEqual([{ pts: 0, dts: 0, key: true }]);
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

describe('IDR listing', () => {
  const header = '#extradata 0:       36, 0xae2909f5\n#tb 0: 1/12800\n#media_type 0: video\n#codec_id 0: h264\n';

  it('when IDR packets were printed, then their pts are the times, on the source clock', () => {
    const printed = `${header}0,      -1024,          0,      512,      253, 0x25e88404\n0,      24576,      25600,      512,      253, 0x25e88404, S=1,        1\n`;
    expect(parseIdrTimes(printed)).toEqual([0, 2]);
    expect(parseIdrTimes(header)).toEqual([]);
    expect(parseIdrTimes('nothing')).toEqual([]);
  });

  it('when listed, then the copy keeps the source timestamps and passes IDR slices only', () => {
    expect(buildIdrListArgs('/in.mp4', 9.5, 1)).toEqual([
      '-hide_banner', '-nostdin', '-v', 'error', '-copyts', '-ss', '9.500000', '-t', '1.000000', '-i', '/in.mp4',
      '-map', '0:v:0', '-c:v', 'copy', '-bsf:v', 'filter_units=pass_types=5', '-avoid_negative_ts', 'disabled', '-f', 'framecrc', '-',
    ]);
    expect(buildIdrListArgs('/in.mp4', 0, 1)).not.toContain('-ss');
  });
});

describe('smart cut argv', () => {
  it('when a head is encoded, then it matches the source stream and pulls its dts back', () => {
    const args = buildSmartCutEncodeArgs({ input: '/in.mp4', output: '/head.mp4', seekTo: 10.483333, frames: 45, stream: STREAM, dtsShiftTicks: 1024 });
    expect(args.slice(0, COMMON_ARGS.length)).toEqual([...COMMON_ARGS]);
    expect(args.slice(COMMON_ARGS.length)).toEqual([
      '-noautorotate', '-ss', '10.483333', '-i', '/in.mp4', '-map', '0:v:0',
      '-vf', 'setpts=PTS-STARTPTS', '-frames:v', '45', '-fps_mode', 'passthrough', '-enc_time_base', '1/15360',
      '-c:v', 'libx264', '-preset', 'superfast', '-crf', '18', '-bf', '0',
      '-pix_fmt', 'yuv420p', '-profile:v', 'high', '-level:v', '40', '-x264-params', 'stitchable=1:sps-id=1',
      '-bsf:v', 'setts=dts=DTS-1024', '-video_track_timescale', '15360', '-f', 'mp4', '/head.mp4',
    ]);
  });

  it('when the piece is to be matched with the source by track ID, then it gets that ID', () => {
    const args = buildSmartCutEncodeArgs({ input: '/in.mp4', output: '/t.mp4', seekTo: 1, frames: 1, stream: STREAM, dtsShiftTicks: 0, trackId: 2 });
    expect(args.slice(-9, -5)).toEqual(['-streamid', '0:2', '-use_stream_ids_as_track_ids', '1']);
    expect(buildSmartCutEncodeArgs({ input: '/in.mp4', output: '/t.mp4', seekTo: 1, frames: 1, stream: STREAM, dtsShiftTicks: 0 })).not.toContain('-streamid');
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

  it('when joined with audio to re-encode, then the audio is cut from the first frame for the output length', () => {
    const args = buildSmartCutJoinArgs({
      listFile: '/l.ffconcat',
      input: '/in.mp4',
      output: '/o.mp4',
      audio: { mode: 'encode', firstFrame: 10.5, length: 100 },
      stream: STREAM,
    });
    expect(args.slice(COMMON_ARGS.length)).toEqual([
      '-f', 'concat', '-safe', '0', '-i', '/l.ffconcat', '-ss', '10.500000', '-t', '100.000000', '-i', '/in.mp4',
      '-map', '0:v:0', '-map', '1:a:0', '-c:v', 'copy', '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2',
      '-video_track_timescale', '15360', '-f', 'mp4', '/o.mp4',
    ]);
  });

  it('when joined with audio to copy, then the packets from seekTo on are copied and moved to lead the first frame', () => {
    const args = buildSmartCutJoinArgs({
      listFile: '/l.ffconcat',
      input: '/in.mp4',
      output: '/o.mp4',
      audio: { mode: 'copy', seekTo: 10.488, readFor: 100.02, leadTicks: 320 },
      stream: STREAM,
    });
    expect(args.slice(COMMON_ARGS.length)).toEqual([
      '-f', 'concat', '-safe', '0', '-i', '/l.ffconcat', '-ss', '10.488000', '-t', '100.020000', '-i', '/in.mp4',
      '-map', '0:v:0', '-map', '1:a:0', '-c:v', 'copy',
      '-c:a', 'copy', '-copypriorss:a', '0', '-bsf:a', 'setts=ts=TS-STARTPTS-320',
      '-video_track_timescale', '15360', '-f', 'mp4', '/o.mp4',
    ]);
  });

  it('when the audio to copy starts before the file does, then it is shifted without seeking', () => {
    const args = buildSmartCutJoinArgs({
      listFile: '/l.ffconcat',
      input: '/in.mp4',
      output: '/o.mp4',
      audio: { mode: 'copy', seekTo: -0.010667, readFor: 2.5, leadTicks: 0 },
      stream: STREAM,
    });
    expect(args).toContain('-itsoffset');
    expect(args[args.indexOf('-itsoffset') + 1]).toBe('0.010667');
    expect(args).not.toContain('-ss');
  });

  it('when joined without audio, then only the video is mapped and there is no faststart rewrite', () => {
    const args = buildSmartCutJoinArgs({ listFile: '/l.ffconcat', input: '/in.mp4', output: '/o.mp4', audio: null, stream: STREAM });
    expect(args.slice(COMMON_ARGS.length)).toEqual([
      '-f', 'concat', '-safe', '0', '-i', '/l.ffconcat', '-map', '0:v:0', '-c:v', 'copy',
      '-video_track_timescale', '15360', '-f', 'mp4', '/o.mp4',
    ]);
  });

  it('when the middle is read from the source, then its entry has an inpoint, an outpoint and its duration', () => {
    expect(
      buildSmartCutConcatList([
        { path: '/t/head.mp4', duration: 0.5 },
        { path: '/src/in.mp4', duration: 299.433333, inpoint: 122, outpoint: 421.35 },
        { path: '/t/tail.mp4', duration: 0.066667 },
      ]),
    ).toBe(
      "ffconcat version 1.0\nfile '/t/head.mp4'\nduration 0.500000\nfile '/src/in.mp4'\ninpoint 122.000000\noutpoint 421.350000\nduration 299.433333\nfile '/t/tail.mp4'\n",
    );
    // Pieces matched by track ID: the join has that one stream.
    expect(buildSmartCutConcatList([{ path: '/t/head.mp4', duration: 0.5 }, { path: '/src/in.mp4', duration: 3, inpoint: 4 }], 2)).toBe(
      "ffconcat version 1.0\nstream\nexact_stream_id 2\nfile '/t/head.mp4'\nduration 0.500000\nfile '/src/in.mp4'\ninpoint 4.000000\n",
    );
    // A copy to the end of the file has no outpoint.
    expect(buildSmartCutConcatList([{ path: '/src/in.mp4', duration: 3, inpoint: 4 }])).toBe("ffconcat version 1.0\nfile '/src/in.mp4'\ninpoint 4.000000\n");
  });

  it('when a builder is given what it cannot use, then it throws a MediaInputError', () => {
    const encode = { input: '/in.mp4', output: '/t.mp4', seekTo: 1, frames: 1, stream: STREAM, dtsShiftTicks: 0 };
    expect(() => buildSmartCutEncodeArgs({ ...encode, frames: 0 })).toThrow(MediaInputError);
    expect(() => buildSmartCutEncodeArgs({ ...encode, trackId: -1 })).toThrow(MediaInputError);
    expect(() => buildSmartCutEncodeArgs({ ...encode, dtsShiftTicks: 0.5 })).toThrow(MediaInputError);
    expect(() => buildSmartCutEncodeArgs({ ...encode, seekTo: -1 })).toThrow(MediaInputError);
    expect(() => buildSmartCutConcatList([])).toThrow(MediaInputError);
    expect(() => buildSmartCutConcatList([{ path: '/t/a.mp4', duration: 1 }], 0)).toThrow(MediaInputError);
    expect(() => buildSmartCutConcatList([{ path: '/t/a\nfile /etc/passwd', duration: 1 }])).toThrow(MediaInputError);
    const join = { listFile: '/t/l.ffconcat', input: '/in.mp4', output: '/out.mp4', stream: STREAM };
    expect(() => buildSmartCutJoinArgs({ ...join, audio: { mode: 'copy', seekTo: 1, readFor: 1, leadTicks: 0.5 } })).toThrow(MediaInputError);
  });

  it('when listed, then every piece but the last carries its duration', () => {
    expect(buildSmartCutConcatList([{ path: "/t/a's.mp4", duration: 1.5 }, { path: '/t/b.mp4', duration: 2 }])).toBe(
      "ffconcat version 1.0\nfile '/t/a'\\''s.mp4'\nduration 1.500000\nfile '/t/b.mp4'\n",
    );
  });

  it('when packets are probed, then the interval is absolute seconds, all streams are listed, and the first listing also gives the streams', () => {
    const plain = buildPacketProbeArgs('/in.mp4', 9.5, 32);
    expect(plain).toContain('9.500000%32.000000');
    expect(plain).not.toContain('-select_streams');
    expect(plain[plain.indexOf('-show_entries') + 1]).toBe('packet=stream_index,pts,dts,duration,flags');
    const first = buildPacketProbeArgs('/in.mp4', 9.5, 32, true);
    expect(first[first.indexOf('-show_entries') + 1]).toMatch(/^packet=stream_index,pts,dts,duration,flags:stream=index,id,codec_type,.*:format=start_time$/);
  });
});
