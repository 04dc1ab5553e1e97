import { describe, expect, it } from 'vitest';
import { parseProbeOutput, type ProbeResult } from '../../../src/media/probe.js';
import type { MediaInfo } from '../../../src/media/media-info.js';
import {
  GIF_STATIC,
  M4A_AUDIO_ONLY,
  MKV_H264_AAC,
  MOV_QT_BRAND,
  MP3_WITH_COVER,
  MP4_H264_AAC,
  MP4_ROTATED,
  PNG_IMAGE,
  WEBM_VP9_OPUS,
} from './probe-fixtures.js';

function okInfo(result: ProbeResult): MediaInfo {
  if (!result.ok) throw new Error(`expected ok, got: ${result.reason}`);
  return result.info;
}

function reason(result: ProbeResult): string {
  if (result.ok) throw new Error('expected a refusal');
  return result.reason;
}

/** Deep copy so that a test can tweak a fixture. */
function copy<T>(v: T): any {
  return structuredClone(v) as unknown;
}

describe('parseProbeOutput: accepted files', () => {
  it('mp4 with H.264 + AAC', () => {
    expect(okInfo(parseProbeOutput(MP4_H264_AAC))).toEqual({
      container: 'mp4',
      formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
      durationSec: 1,
      sizeBytes: 31430,
      bitRate: 251440,
      video: {
        codec: 'h264',
        profile: 'Constrained Baseline',
        width: 320,
        height: 240,
        fps: 25,
        frameRate: '25/1',
        pixFmt: 'yuv420p',
        sar: '1:1',
        timeBase: '1/12800',
        hasBFrames: false,
        frameCount: 25,
        durationSec: 1,
        startOffsetSec: 0,
        rotation: 0,
      },
      audio: { codec: 'aac', sampleRate: 44100, channels: 1, channelLayout: 'mono' },
    });
  });

  it('webm with VP9 + Opus', () => {
    const info = okInfo(parseProbeOutput(WEBM_VP9_OPUS));
    expect(info.container).toBe('webm');
    expect(info.formatName).toBe('matroska,webm');
    expect(info.durationSec).toBeCloseTo(1.008, 6);
    expect(info.video).toMatchObject({ codec: 'vp9', profile: 'Profile 0', width: 320, height: 240, fps: 30, frameRate: '30/1' });
    expect(info.audio).toEqual({ codec: 'opus', sampleRate: 48000, channels: 1, channelLayout: 'mono' });
  });

  it('matroska with H.264 stays "matroska"', () => {
    const info = okInfo(parseProbeOutput(MKV_H264_AAC));
    expect(info.container).toBe('matroska');
    expect(info.durationSec).toBeCloseTo(1.021, 6);
  });

  it('a VP9 webm with AAC audio is matroska, not webm', () => {
    const json = copy(WEBM_VP9_OPUS);
    json.streams[1].codec_name = 'aac';
    expect(okInfo(parseProbeOutput(json)).container).toBe('matroska');
  });

  it('a VP9 file without audio is webm', () => {
    const json = copy(WEBM_VP9_OPUS);
    json.streams.pop();
    const info = okInfo(parseProbeOutput(json));
    expect(info.container).toBe('webm');
    expect(info.audio).toBeNull();
  });

  it('mov with the "qt  " major brand', () => {
    const info = okInfo(parseProbeOutput(MOV_QT_BRAND));
    expect(info.container).toBe('mov');
    expect(info.durationSec).toBeCloseTo(1.001, 6);
    expect(info.video.fps).toBe(29.97);
    expect(info.video.frameRate).toBe('30000/1001');
    expect(info.video.timeBase).toBe('1/30000');
  });

  it('swaps width/height for a 90° rotated stream and reports the rotation', () => {
    const info = okInfo(parseProbeOutput(MP4_ROTATED));
    expect(info.video).toMatchObject({ width: 240, height: 320, rotation: 90 });
    const json = copy(MP4_ROTATED);
    json.streams[0].side_data_list[0].rotation = -90;
    expect(okInfo(parseProbeOutput(json)).video).toMatchObject({ width: 240, height: 320, rotation: 270 });
    json.streams[0].side_data_list[0].rotation = 180;
    expect(okInfo(parseProbeOutput(json)).video).toMatchObject({ width: 320, height: 240, rotation: 180 });
  });

  it('reads has_b_frames, null-ish fields and optional format fields', () => {
    const json = copy(MP4_H264_AAC);
    json.streams[0].has_b_frames = 2;
    json.streams[0].sample_aspect_ratio = '0:1';
    delete json.streams[0].profile;
    delete json.streams[1].channel_layout;
    delete json.format.bit_rate;
    delete json.format.size;
    const info = okInfo(parseProbeOutput(json));
    expect(info.video.hasBFrames).toBe(true);
    expect(info.video.sar).toBeNull();
    expect(info.video.profile).toBeNull();
    expect(info.audio?.channelLayout).toBeNull();
    expect(info.bitRate).toBeNull();
    expect(info.sizeBytes).toBe(0);
  });

  it('falls back to the video stream duration, then to its DURATION tag', () => {
    const mp4 = copy(MP4_H264_AAC);
    delete mp4.format.duration;
    mp4.streams[0].duration = '1.500000';
    expect(okInfo(parseProbeOutput(mp4)).durationSec).toBe(1.5);

    const webm = copy(WEBM_VP9_OPUS);
    delete webm.format.duration;
    expect(okInfo(parseProbeOutput(webm)).durationSec).toBeCloseTo(1.007, 6);
  });

  it('prefers r_frame_rate when avg_frame_rate is only slightly off, avg_frame_rate otherwise', () => {
    const nearlyCfr = copy(MP4_H264_AAC);
    nearlyCfr.streams[0].r_frame_rate = '30/1';
    nearlyCfr.streams[0].avg_frame_rate = '7500/251';
    expect(okInfo(parseProbeOutput(nearlyCfr)).video).toMatchObject({ fps: 30, frameRate: '30/1' });
    expect(okInfo(parseProbeOutput(nearlyCfr)).video.variableFrameRate).toBeUndefined();

    const vfr = copy(MP4_H264_AAC);
    vfr.streams[0].r_frame_rate = '90000/1';
    vfr.streams[0].avg_frame_rate = '2987/100';
    expect(okInfo(parseProbeOutput(vfr)).video).toMatchObject({ fps: 29.87, frameRate: '2987/100', variableFrameRate: true });
    expect(okInfo(parseProbeOutput(vfr)).video.nominalFrameRate).toBeUndefined();

    const droppedFrames = copy(MP4_H264_AAC);
    droppedFrames.streams[0].r_frame_rate = '30/1';
    droppedFrames.streams[0].avg_frame_rate = '77/4';
    expect(okInfo(parseProbeOutput(droppedFrames)).video).toMatchObject({ frameRate: '77/4', variableFrameRate: true, nominalFrameRate: '30/1' });

    const fieldRate = copy(MP4_H264_AAC);
    fieldRate.streams[0].r_frame_rate = '50/1';
    fieldRate.streams[0].avg_frame_rate = '25/1';
    expect(okInfo(parseProbeOutput(fieldRate)).video.fps).toBe(25);
    // A field rate is not a variable one.
    expect(okInfo(parseProbeOutput(fieldRate)).video.variableFrameRate).toBeUndefined();

    const noAvg = copy(MP4_H264_AAC);
    noAvg.streams[0].avg_frame_rate = '0/0';
    expect(okInfo(parseProbeOutput(noAvg)).video.fps).toBe(25);
  });

  it('an animated GIF is a video', () => {
    const json = copy(GIF_STATIC);
    json.streams[0].nb_frames = '20';
    json.streams[0].duration = '2.000000';
    json.format.duration = '2.000000';
    const info = okInfo(parseProbeOutput(json));
    expect(info.container).toBe('gif');
    // ffprobe says "100/10"; the fraction is reduced
    expect(info.video).toMatchObject({ fps: 10, frameRate: '10/1' });
  });
});

describe('parseProbeOutput: refused files', () => {
  it('audio-only', () => {
    expect(reason(parseProbeOutput(M4A_AUDIO_ONLY))).toMatch(/audio-only/);
  });

  it('mp3 whose only video stream is an attached cover picture', () => {
    expect(reason(parseProbeOutput(MP3_WITH_COVER))).toMatch(/cover art/);
  });

  it('png (png_pipe) and image2 still images', () => {
    expect(reason(parseProbeOutput(PNG_IMAGE))).toMatch(/still image/);
    const image2 = copy(PNG_IMAGE);
    image2.format.format_name = 'image2';
    expect(reason(parseProbeOutput(image2))).toMatch(/still image/);
    const jpeg = copy(PNG_IMAGE);
    jpeg.format.format_name = 'jpeg_pipe';
    expect(reason(parseProbeOutput(jpeg))).toMatch(/still image/);
  });

  it('a static (one-frame) GIF', () => {
    expect(reason(parseProbeOutput(GIF_STATIC))).toMatch(/single frame/);
  });

  it('a one-frame file without nb_frames (duration shorter than two frames)', () => {
    const json = copy(MKV_H264_AAC);
    json.format.duration = '0.040000';
    expect(reason(parseProbeOutput(json))).toMatch(/single frame/);
  });

  it('when the last frame has zero duration (avg_frame_rate off by 1/N), then r_frame_rate still wins', () => {
    const json = copy(MP4_H264_AAC);
    const v = json.streams.find((s: any) => s.codec_type === 'video');
    Object.assign(v, { nb_frames: '20', duration: '0.760000', avg_frame_rate: '500/19', r_frame_rate: '25/1' });
    const res = parseProbeOutput(json);
    expect(res.ok && res.info.video.frameRate).toBe('25/1');
    expect(res.ok && res.info.video.variableFrameRate).toBeUndefined();
  });

  it('when our own output holds one frame, then acceptSingleFrame takes it, but never a png', () => {
    const json = copy(MKV_H264_AAC);
    json.format.duration = '0.040000';
    const res = parseProbeOutput(json, { acceptSingleFrame: true });
    expect(res.ok && res.info.durationSec).toBe(0.04);
    expect(reason(parseProbeOutput(PNG_IMAGE, { acceptSingleFrame: true }))).toMatch(/still image/);
  });

  it('missing, zero or negative duration', () => {
    for (const d of [undefined, '0.000000', '-1.000000', 'N/A']) {
      const json = copy(MP4_H264_AAC);
      if (d === undefined) delete json.format.duration;
      else json.format.duration = d;
      json.streams[0].duration = d === undefined ? undefined : d;
      expect(reason(parseProbeOutput(json))).toMatch(/duration/);
    }
  });

  it('text files recognised by the tty demuxer', () => {
    const json = {
      streams: [{ index: 0, codec_name: 'ansi', codec_type: 'video', width: 640, height: 400, r_frame_rate: '25/1', avg_frame_rate: '25/1' }],
      format: { filename: 'notes.txt', nb_streams: 1, format_name: 'tty', duration: '1.000000' },
    };
    expect(reason(parseProbeOutput(json))).toMatch(/text/);
  });

  it('no streams at all, or garbage', () => {
    expect(reason(parseProbeOutput({ streams: [], format: { format_name: 'data' } }))).toMatch(/no video/);
    for (const garbage of [null, undefined, 42, 'x', [], {}, { format: {} }, { streams: 'no', format: { format_name: 'mp4' } }]) {
      expect(parseProbeOutput(garbage).ok).toBe(false);
    }
  });

  it('a video stream without a usable size or frame rate', () => {
    const noSize = copy(MP4_H264_AAC);
    noSize.streams[0].width = 0;
    expect(reason(parseProbeOutput(noSize))).toMatch(/size/);
    const noRate = copy(MP4_H264_AAC);
    noRate.streams[0].r_frame_rate = '0/0';
    noRate.streams[0].avg_frame_rate = '0/0';
    expect(reason(parseProbeOutput(noRate))).toMatch(/frame rate/);
  });
});
