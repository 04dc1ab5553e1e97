import { open } from 'node:fs/promises';
import { childBoxes, descend, findBox, readMoov, type Box } from './mov-boxes.js';
import { MAX_SAMPLES, nalLengthSize, sampleLayout, type SampleLayout } from './mov-samples.js';
import type { StreamPacket } from './smart-cut-streams.js';

/** One track of an mp4/mov as ffmpeg's demuxer presents it: stream index, time base, packets in decode order. */
export interface MovTrack {
  /** ffmpeg's stream index: the track's place among the moov's traks. */
  index: number;
  trackId: number;
  /** The handler: 'vide', 'soun', … */
  handler: string;
  /** Ticks per second: the stream's time base is 1/timescale. */
  timescale: number;
  /** Ticks: where the track starts (ffmpeg's stream start_time): its edit's start, or its first shown packet. */
  startPts: number | null;
  /** The media header's duration (ticks): what every sample lasts, together. */
  mediaDuration: number;
  /** Per packet, in decode order (ticks). */
  pts: Float64Array;
  dts: Float64Array;
  duration: Float64Array;
  key: Uint8Array;
  discard: Uint8Array;
  /** Where each sample lies in the file, when the tables say. */
  layout: SampleLayout | null;
  /** For H.264 and HEVC tracks: the codec and the length-prefix size of its NAL units. */
  nal: { codec: 'h264' | 'hevc'; lengthSize: number } | null;
}

/** Packets [from, to) of a track (decode order) as a listing gives them. */
export function trackPackets(t: MovTrack, from = 0, to = t.dts.length): StreamPacket[] {
  const out: StreamPacket[] = [];
  for (let i = Math.max(0, from); i < Math.min(to, t.dts.length); i++) {
    out.push({ stream: t.index, pts: t.pts[i]!, dts: t.dts[i]!, duration: t.duration[i]!, key: t.key[i] === 1, discard: t.discard[i] === 1 });
  }
  return out;
}

export interface MovIndex {
  tracks: MovTrack[];
  /** Ticks per second of the movie header (edit list durations count in it). */
  movieTimescale: number;
  /** The movie header's duration (movie ticks): ffprobe's format duration. */
  movieDuration: number;
}

/**
 * Reads the sample tables of an mp4/mov and gives every packet's timestamps as ffmpeg's mov demuxer
 * (and so ffprobe) would, without starting a process: samples' decode times from stts, composition
 * offsets from ctts, keyframes from stss, shifted by the edit list. Only the layouts whose shift is
 * a plain offset are read — no edit list, or leading empty edits then one edit at rate 1 that runs
 * to the end of the media — and nothing with negative composition offsets or fragments: for the
 * rest it answers null, and the caller asks ffprobe.
 */
export async function readMovIndex(file: string): Promise<MovIndex | null> {
  const handle = await open(file, 'r');
  let moov: Buffer | null;
  try {
    moov = await readMoov(handle);
  } finally {
    await handle.close();
  }
  return moov && parseMoov(moov);
}

type Reader = { u8(o: number): number; u16(o: number): number; u32(o: number): number; i32(o: number): number; u64(o: number): number };

function reader(data: Buffer): Reader {
  return {
    u8: (o) => data.readUInt8(o),
    u16: (o) => data.readUInt16BE(o),
    u32: (o) => data.readUInt32BE(o),
    i32: (o) => data.readInt32BE(o),
    u64: (o) => Number(data.readBigUInt64BE(o)),
  };
}

/** A full box's entries: checks the payload holds `count` entries of `entryBytes` after `headerBytes`. */
function entries(box: Box, headerBytes: number, count: number, entryBytes: number): boolean {
  return count >= 0 && box.start + headerBytes + count * entryBytes <= box.end;
}

function parseMoov(moov: Buffer): MovIndex | null {
  const r = reader(moov);
  const top = childBoxes(moov, 0, moov.length);
  if (!top || findBox(top, 'mvex')) return null;
  const mvhd = findBox(top, 'mvhd');
  if (!mvhd || mvhd.end - mvhd.start < 20) return null;
  const mvhdV1 = r.u8(mvhd.start) === 1;
  const movieTimescale = r.u32(mvhd.start + (mvhdV1 ? 20 : 12));
  const movieDuration = mvhdV1 ? r.u64(mvhd.start + 24) : r.u32(mvhd.start + 16);
  if (!(movieTimescale > 0)) return null;
  const tracks: MovTrack[] = [];
  for (const trak of top.filter((b) => b.type === 'trak')) {
    const track = parseTrak(moov, r, trak, tracks.length, movieTimescale);
    if (!track) return null;
    tracks.push(track);
  }
  return { tracks, movieTimescale, movieDuration };
}

interface Edit {
  /** Movie-timescale ticks. */
  duration: number;
  /** Media ticks; -1 for an empty edit. */
  mediaTime: number;
  rate: number;
}

function parseEdits(data: Buffer, r: Reader, trakChildren: Box[]): Edit[] | null {
  const edts = descend(data, trakChildren, ['edts']);
  if (!edts) return [];
  const elst = findBox(edts, 'elst');
  if (!elst) return [];
  const v1 = r.u8(elst.start) === 1;
  const count = r.u32(elst.start + 4);
  const size = v1 ? 20 : 12;
  if (!entries(elst, 8, count, size)) return null;
  const edits: Edit[] = [];
  for (let i = 0; i < count; i++) {
    const o = elst.start + 8 + i * size;
    const duration = v1 ? r.u64(o) : r.u32(o);
    const mediaTime = v1 ? Number(data.readBigInt64BE(o + 8)) : r.i32(o + 4);
    const rate = r.i32(o + (v1 ? 16 : 8)) / 65536;
    edits.push({ duration, mediaTime, rate });
  }
  return edits;
}

function parseTrak(data: Buffer, r: Reader, trak: Box, index: number, movieTimescale: number): MovTrack | null {
  const children = childBoxes(data, trak.start, trak.end);
  if (!children) return null;
  const tkhd = findBox(children, 'tkhd');
  if (!tkhd) return null;
  const trackId = r.u32(tkhd.start + (r.u8(tkhd.start) === 1 ? 20 : 12));
  const mdia = descend(data, children, ['mdia']);
  if (!mdia) return null;
  const mdhd = findBox(mdia, 'mdhd');
  const hdlr = findBox(mdia, 'hdlr');
  if (!mdhd || !hdlr) return null;
  const timescale = r.u32(mdhd.start + (r.u8(mdhd.start) === 1 ? 20 : 12));
  const handler = data.toString('latin1', hdlr.start + 8, hdlr.start + 12);
  if (!(timescale > 0)) return null;
  const stbl = descend(data, mdia, ['minf', 'stbl']);
  const edits = parseEdits(data, r, children);
  if (!stbl || !edits) return null;
  const samples = sampleTimes(data, r, stbl);
  if (!samples) return null;
  const mdhdV1 = r.u8(mdhd.start) === 1;
  const mediaDuration = mdhdV1 ? r.u64(mdhd.start + 24) : r.u32(mdhd.start + 16);
  const shift = editShift(edits, samples, timescale, movieTimescale, handler, mediaDuration);
  if (shift === null) return null;
  const n = samples.dts.length;
  const move = shift.delay - shift.mediaTime;
  const pts = new Float64Array(n);
  const dts = new Float64Array(n);
  const duration = Float64Array.from(samples.duration);
  const discard = new Uint8Array(n);
  const audio = handler === 'soun';
  let startPts = edits.length > 0 ? shift.delay : null;
  for (let i = 0; i < n; i++) {
    pts[i] = samples.cts[i]! + move;
    dts[i] = samples.dts[i]! + move;
    // What the edit starts after is decoded but not shown (an encoder's priming, a B-frame delay).
    discard[i] = (audio ? pts[i]! + duration[i]! <= shift.delay : pts[i]! < shift.delay) ? 1 : 0;
    if (edits.length === 0 && i < 16 && (startPts === null || pts[i]! < startPts)) startPts = pts[i]!;
  }
  // As the demuxer gives it: the last sample ends with the track when that is sooner.
  if (n > 0 && shift.end - dts[n - 1]! > 0) duration[n - 1] = Math.min(duration[n - 1]!, shift.end - dts[n - 1]!);
  const layout = sampleLayout(data, stbl);
  const nal = handler === 'vide' ? nalLengthSize(data, stbl) : null;
  return { index, trackId, handler, timescale, startPts, mediaDuration, pts, dts, duration, key: samples.key, discard, layout, nal };
}

interface SampleTimes {
  dts: Float64Array;
  cts: Float64Array;
  duration: Float64Array;
  key: Uint8Array;
}

function sampleTimes(data: Buffer, r: Reader, stbl: Box[]): SampleTimes | null {
  const stts = findBox(stbl, 'stts');
  const stsz = findBox(stbl, 'stsz');
  if (!stts || !stsz) return null;
  const count = r.u32(stsz.start + 8);
  // Tables that claim more samples than they hold (or than hours of video have) are not allocated for.
  if (count > MAX_SAMPLES || (r.u32(stsz.start + 4) === 0 && !entries(stsz, 12, count, 4))) return null;
  const dts = new Float64Array(count);
  const duration = new Float64Array(count);
  const sttsCount = r.u32(stts.start + 4);
  if (!entries(stts, 8, sttsCount, 8)) return null;
  let i = 0;
  let t = 0;
  for (let e = 0; e < sttsCount; e++) {
    const runs = r.u32(stts.start + 8 + e * 8);
    const delta = r.u32(stts.start + 12 + e * 8);
    for (let k = 0; k < runs && i < count; k++, i++) {
      dts[i] = t;
      duration[i] = delta;
      t += delta;
    }
  }
  if (i !== count) return null;

  const cts = Float64Array.from(dts);
  const ctts = findBox(stbl, 'ctts');
  if (ctts) {
    const cttsCount = r.u32(ctts.start + 4);
    if (!entries(ctts, 8, cttsCount, 8)) return null;
    let s = 0;
    for (let e = 0; e < cttsCount; e++) {
      const runs = r.u32(ctts.start + 8 + e * 8);
      const offset = r.i32(ctts.start + 12 + e * 8);
      // ffmpeg shifts every dts by the most negative offset; that layout is left to ffprobe.
      if (offset < 0) return null;
      for (let k = 0; k < runs && s < count; k++, s++) cts[s] = dts[s]! + offset;
    }
    if (s !== count) return null;
  }

  const key = new Uint8Array(count);
  const stss = findBox(stbl, 'stss');
  if (stss) {
    const keys = r.u32(stss.start + 4);
    if (!entries(stss, 8, keys, 4)) return null;
    for (let e = 0; e < keys; e++) {
      const sample = r.u32(stss.start + 8 + e * 4);
      if (sample < 1 || sample > count) return null;
      key[sample - 1] = 1;
    }
  } else {
    key.fill(1);
  }
  return { dts, cts, duration, key };
}

/**
 * The plain offset an edit list applies: packets move by `delay - mediaTime` ticks. Null for any
 * edit list that does more than shift (several edits with media, a rate other than 1, an edit that
 * ends before the media does, or one that starts after the first keyframe, where ffmpeg leaves out
 * the samples before it).
 */
function editShift(
  edits: Edit[],
  samples: SampleTimes,
  timescale: number,
  movieTimescale: number,
  handler: string,
  mediaDuration: number,
): { mediaTime: number; delay: number; end: number } | null {
  if (edits.length === 0) return { mediaTime: 0, delay: 0, end: mediaDuration };
  let emptyTicks = 0;
  let i = 0;
  for (; i < edits.length && edits[i]!.mediaTime === -1; i++) emptyTicks += edits[i]!.duration;
  const media = edits.slice(i);
  if (media.length !== 1 || media[0]!.rate !== 1 || media[0]!.mediaTime < 0) return null;
  const { mediaTime, duration } = media[0]!;
  const n = samples.dts.length;
  if (n === 0) return null;
  let mediaEnd = 0;
  for (let s = 0; s < n; s++) mediaEnd = Math.max(mediaEnd, samples.cts[s]! + samples.duration[s]!);
  // The edit must reach the end of the media (within a tick of rounding between the timescales).
  if (mediaTime + (duration * timescale) / movieTimescale < mediaEnd - timescale / movieTimescale - 1) return null;
  if (samples.cts[0]! > mediaTime) return null;
  if (handler === 'vide') {
    // ffmpeg starts the track on the last keyframe at or before the edit: only the first is read here.
    for (let s = 1; s < n; s++) if (samples.key[s] === 1 && samples.cts[s]! <= mediaTime) return null;
  }
  const delay = Math.round((emptyTicks * timescale) / movieTimescale);
  return { mediaTime, delay, end: delay + Math.round((duration * timescale) / movieTimescale) };
}

/**
 * Where ffmpeg's -ss counts from (ffprobe's format start_time), seconds: the earliest start of the
 * video and audio tracks. Null when the file holds other tracks too (timecode, metadata, subtitles),
 * whose start ffmpeg may count as well: the caller then asks ffprobe.
 */
export function movStartTime(index: MovIndex): number | null {
  let start: number | null = null;
  for (const t of index.tracks) {
    if (t.handler !== 'vide' && t.handler !== 'soun') return null;
    if (t.startPts === null) continue;
    const sec = t.startPts / t.timescale;
    start = start === null ? sec : Math.min(start, sec);
  }
  return start;
}
