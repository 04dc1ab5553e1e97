import { describe, expect, it } from 'vitest';
import { keyframePacketArgs, parseKeyframePackets, storyboardArgs, storyboardLayout, thumbnailArgs } from '../../src/media/preview.js';

describe('preview argv builders', () => {
  it('when a thumbnail is asked for, then ffmpeg seeks on the input and writes one scaled JPEG frame', () => {
    expect(thumbnailArgs('/v/in.mp4', '/c/out.jpg', 2.5, 200)).toEqual([
      '-hide_banner', '-nostdin', '-y', '-v', 'error',
      '-ss', '2.500000', '-i', '/v/in.mp4', '-map', '0:v:0', '-frames:v', '1', '-vf', 'scale=200:-2', '-q:v', '4',
      '-f', 'image2', '-c:v', 'mjpeg', '/c/out.jpg',
    ]);
    expect(() => thumbnailArgs('/v/in.mp4', '/c/out.jpg', 1, 8)).toThrow(/width/);
  });

  it('when the video is long, then the storyboard decodes keyframes only; a short one is decoded whole', () => {
    const long = storyboardArgs('/v/in.mp4', '/c/s.jpg', storyboardLayout(7200));
    expect(long.slice(5, 7)).toEqual(['-skip_frame', 'nokey']);
    expect(long).toContain('fps=1/360.000000:round=down,scale=160:-2,tile=10x2');
    expect(storyboardArgs('/v/in.mp4', '/c/s.jpg', storyboardLayout(4))).not.toContain('-skip_frame');
  });

  it('when a video is shorter than the tiles need, then fewer tiles (four a second)', () => {
    expect(storyboardLayout(2)).toEqual({ tiles: 8, columns: 8, rows: 1, tileWidth: 160, intervalSec: 0.25 });
    expect(storyboardLayout(100).tiles).toBe(20);
  });

  it('when packets are listed, then only keyframe times come back, sorted and unique, dts standing in for a missing pts', () => {
    expect(keyframePacketArgs('/v/in.mp4')).toContain('packet=pts_time,dts_time,flags');
    const csv = ['0.000000,-0.080000,K__', '0.040000,0.000000,___', '2.000000,1.920000,K_', 'N/A,4.000000,K', '2.000000,1.920000,K_', ''].join('\n');
    expect(parseKeyframePackets(csv)).toEqual([0, 2, 4]);
  });
});
