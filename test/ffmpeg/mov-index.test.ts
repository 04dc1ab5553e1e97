/**
 * The sample-table reader must give every packet exactly as ffprobe lists it (timestamps, flags,
 * durations; the last packet of a track aside, whose duration ffmpeg derives its own way), and the
 * file's start time as ffprobe gives it; or refuse, so that the caller asks ffprobe instead.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConcatCopyArgs, buildConcatList, concatCopyJoinDuration } from '../../src/media/argv.js';
import { runCopyTrim } from '../../src/media/copy-trim.js';
import { runFfmpeg } from '../../src/media/runner.js';
import { movStartTime, readMovIndex, trackPackets } from '../../src/media/mov-index.js';
import { describeCopiedOutput } from '../../src/media/copied-output.js';
import { movListing } from '../../src/media/mov-listing.js';
import { probeOutputOnce } from '../../src/media/output-probe.js';
import { movCleanStartTimes } from '../../src/media/mov-idr.js';
import { buildIdrListArgs, parseIdrTimes, parsePacketList } from '../../src/media/smart-cut-args.js';
import { makeFrameCodedClip } from '../helpers/frame-code.js';
import { mustProbe, runTool } from '../helpers/media.js';

let dir: string;
const sources: Record<string, string> = {};

async function ffmpeg(args: string[]): Promise<void> {
  const res = await runTool('ffmpeg', ['-v', 'error', '-y', ...args]);
  if (res.code !== 0) throw new Error(res.stderr);
}

async function probePackets(file: string) {
  const res = await runTool('ffprobe', ['-v', 'error', '-show_entries', 'packet=stream_index,pts,dts,duration,flags:format=start_time', '-of', 'json', file]);
  const json = JSON.parse(res.stdout.toString());
  return { packets: parsePacketList(json)!, startTime: Number(json.format.start_time) };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mov-index-test-'));
  const small = { durationSec: 6, fps: 30, width: 160, height: 96, gop: 30 };
  sources['no B-frames'] = await makeFrameCodedClip(dir, { name: 'plain', ...small });
  sources['B-frames'] = await makeFrameCodedClip(dir, { name: 'bframes', ...small, bframes: 3 });
  sources['open GOP'] = await makeFrameCodedClip(dir, { name: 'open', ...small, bframes: 3, openGop: true });
  sources['video 0.5 s after its audio (empty edit)'] = join(dir, 'late.mp4');
  await ffmpeg(['-itsoffset', '0.5', '-i', sources['B-frames'], '-i', sources['B-frames'], '-map', '0:v', '-map', '1:a', '-c', 'copy', sources['video 0.5 s after its audio (empty edit)']]);
  sources['mov'] = join(dir, 'b.mov');
  await ffmpeg(['-i', sources['B-frames'], '-c', 'copy', sources['mov']]);
  sources['44.1 kHz audio, 25 fps'] = join(dir, 'other-rates.mp4');
  await ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=s=160x96:r=25:d=5', '-f', 'lavfi', '-i', 'sine=r=44100:d=5',
    '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', '25', '-c:a', 'aac', '-ac', '2', sources['44.1 kHz audio, 25 fps'],
  ]);
  const info = await mustProbe(sources['B-frames']);
  sources['a copy trim (audio lead hidden by the edit list)'] = join(dir, 'copy.mp4');
  await runCopyTrim({
    input: sources['B-frames'], output: sources['a copy trim (audio lead hidden by the edit list)'], start: 1.02, end: 4.1, info,
    ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', signal: new AbortController().signal, onProgress: () => {},
  });
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('readMovIndex', { timeout: 30_000 }, () => {
  const names = [
    'no B-frames', 'B-frames', 'open GOP', 'video 0.5 s after its audio (empty edit)', 'mov', '44.1 kHz audio, 25 fps',
    'a copy trim (audio lead hidden by the edit list)',
  ];
  it.each(names)('when the file is %s, then every packet and the start time are as ffprobe gives them', async (name) => {
    const file = sources[name]!;
    const index = await readMovIndex(file);
    expect(index).not.toBeNull();
    const probed = await probePackets(file);
    expect(movStartTime(index!)).toBeCloseTo(probed.startTime, 6);
    for (const track of index!.tracks) {
      const want = probed.packets.filter((p) => p.stream === track.index);
      const got = trackPackets(track);
      expect(got.length).toBe(want.length);
      expect(got.slice(0, -1)).toEqual(want.slice(0, -1));
      expect({ ...got.at(-1), duration: null }).toEqual({ ...want.at(-1), duration: null });
    }
  });

  it('when the file holds a track that is neither video nor audio (a timecode), then it gives no start time', async () => {
    const timecoded = join(dir, 'timecode.mov');
    await ffmpeg(['-i', sources['mov']!, '-c', 'copy', '-timecode', '01:00:00:00', timecoded]);
    const index = await readMovIndex(timecoded);
    expect(index?.tracks.map((t) => t.handler)).toContain('tmcd');
    expect(movStartTime(index!)).toBeNull();
    expect(await movListing(timecoded, [{ from: 1, to: 2 }])).toBeNull();
  });

  it('when the file is fragmented, then it refuses (its samples are not all in moov)', async () => {
    const fragmented = join(dir, 'fragmented.mp4');
    await ffmpeg(['-i', sources['B-frames']!, '-c', 'copy', '-movflags', 'frag_keyframe+empty_moov', fragmented]);
    expect(await readMovIndex(fragmented)).toBeNull();
  });

  it('when the edit list starts after the first keyframe, then it refuses (ffmpeg leaves the samples before out)', async () => {
    const edited = join(dir, 'edited.mp4');
    await ffmpeg(['-ss', '1.5', '-i', sources['B-frames']!, '-c', 'copy', edited]);
    const index = await readMovIndex(edited);
    const probed = await probePackets(edited);
    // Either refused, or right.
    if (index) for (const track of index.tracks) expect(trackPackets(track).slice(0, -1)).toEqual(probed.packets.filter((p) => p.stream === track.index).slice(0, -1));
  });
});

describe('movCleanStartTimes', { timeout: 60_000 }, () => {
  it.each([
    ['B-frames', {}],
    ['open GOP', {}],
    ['open GOP with IDR pictures at 2 s and 4 s', { idrAt: [2, 4] }],
  ] as const)('when the file is %s, then the keyframes that start a clean decode are the ones ffmpeg finds holding an IDR slice', async (name, extra) => {
    const file = 'idrAt' in extra
      ? await makeFrameCodedClip(dir, { name: 'open-idr', durationSec: 6, fps: 30, width: 160, height: 96, gop: 30, bframes: 3, openGop: true, idrAt: [...extra.idrAt] })
      : sources[name]!;
    const listed = await runTool('ffmpeg', buildIdrListArgs(file, 0, 100));
    const fromFfmpeg = parseIdrTimes(listed.stdout.toString());
    const fromTables = await movCleanStartTimes(file, await readMovIndex(file), 0, 100);
    expect(fromTables).toEqual(fromFfmpeg);
    if (name.startsWith('open GOP')) expect(fromTables!.length).toBeLessThan(6);
  });

  it('when the file is not an mp4 or mov, then it answers null', async () => {
    const mkv = join(dir, 'b.mkv');
    await ffmpeg(['-i', sources['B-frames']!, '-c', 'copy', mkv]);
    expect(await movCleanStartTimes(mkv, await readMovIndex(mkv), 0, 100)).toBeNull();
  });
});

describe('movListing', { timeout: 30_000 }, () => {
  it('when a window is asked for, then it holds the video from the keyframe before it and every frame shown up to its end', async () => {
    const listing = await movListing(sources['B-frames']!, [{ from: 2.4, to: 3.2 }]);
    expect(listing).not.toBeNull();
    const video = listing!.windows[0]!.packets.filter((p) => p.stream === listing!.video.index);
    expect(video[0]).toMatchObject({ key: true, pts: 2 * 15360 });
    const shown = new Set(video.map((p) => p.pts! / 512));
    for (let frame = 60; frame <= 96; frame++) expect(shown.has(frame)).toBe(true);
    const audio = listing!.windows[0]!.packets.filter((p) => p.stream === listing!.audio!.index);
    expect(audio[0]!.pts! / 48000).toBeLessThanOrEqual(2.4);
    expect(audio.at(-1)!.pts! / 48000).toBeGreaterThanOrEqual(3.2);
  });

  it('when a window reaches within a second of the end of the video, then it refuses (the last packets are left to ffprobe)', async () => {
    expect(await movListing(sources['B-frames']!, [{ from: 4, to: 5.5 }])).toBeNull();
  });
});

describe('describeCopiedOutput', { timeout: 60_000 }, () => {
  const cases: [string, number, number][] = [
    ['B-frames', 1.02, 4.1],
    ['B-frames', 0, 1.5],
    ['no B-frames', 2.5, 6],
    ['video 0.5 s after its audio (empty edit)', 0.98, 2.5],
    ['mov', 3.3, 3.4],
    ['44.1 kHz audio, 25 fps', 1.1, 3.9],
  ];
  it.each(cases)('when %s is copy-trimmed (%d → %d), then it describes the output as ffprobe does', async (name, start, end) => {
    const input = sources[name]!;
    const info = await mustProbe(input);
    const output = join(dir, `described-${name.replace(/\W+/g, '-')}-${start}.${info.container === 'mov' ? 'mov' : 'mp4'}`);
    await runCopyTrim({ input, output, start, end, info, ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', signal: new AbortController().signal, onProgress: () => {} });
    const probed = await probeOutputOnce(output, { ffprobePath: 'ffprobe' });
    expect(await describeCopiedOutput(output, info)).toEqual(probed);
  });

  it('when two copy trims are joined by a concat copy, then it describes the join as ffprobe does', async () => {
    const input = sources['B-frames']!;
    const info = await mustProbe(input);
    const pieces = [join(dir, 'piece-a.mp4'), join(dir, 'piece-b.mp4')];
    const cut = { input, info, ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', signal: new AbortController().signal, onProgress: () => {} };
    await runCopyTrim({ ...cut, output: pieces[0]!, start: 1, end: 2.5 });
    await runCopyTrim({ ...cut, output: pieces[1]!, start: 3, end: 4.5 });
    const infos = await Promise.all(pieces.map((piece) => mustProbe(piece)));
    const listFile = join(dir, 'pieces.ffconcat');
    await writeFile(listFile, buildConcatList(pieces, infos.map(concatCopyJoinDuration)));
    const output = join(dir, 'joined.mp4');
    await runFfmpeg({ args: buildConcatCopyArgs({ listFile, output, muxer: 'mp4' }), expectedDurationSec: 3 });
    expect(await describeCopiedOutput(output, infos[0]!)).toEqual(await probeOutputOnce(output, { ffprobePath: 'ffprobe' }));
  });

  it('when the output is not mp4 or mov, then it leaves it to ffprobe', async () => {
    const info = await mustProbe(sources['B-frames']!);
    expect(await describeCopiedOutput(sources['B-frames']!, { ...info, container: 'matroska' })).toBeNull();
  });
});
