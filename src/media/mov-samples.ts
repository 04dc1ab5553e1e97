import { findBox, type Box } from './mov-boxes.js';

/** The most samples a track's tables are read for: about 90 hours at 30 frames a second. */
export const MAX_SAMPLES = 10_000_000;

/** Where each sample lies in the file: byte offset and size, in decode order. */
export interface SampleLayout {
  offset: Float64Array;
  size: Float64Array;
}

/** Sample offsets from stsc (samples per chunk), stco/co64 (chunk offsets) and stsz; null when they do not add up. */
export function sampleLayout(data: Buffer, stbl: Box[]): SampleLayout | null {
  const stsz = findBox(stbl, 'stsz');
  const stsc = findBox(stbl, 'stsc');
  const stco = findBox(stbl, 'stco') ?? findBox(stbl, 'co64');
  if (!stsz || !stsc || !stco) return null;
  const count = data.readUInt32BE(stsz.start + 8);
  const fixed = data.readUInt32BE(stsz.start + 4);
  if (count > MAX_SAMPLES || (fixed === 0 && stsz.start + 12 + count * 4 > stsz.end)) return null;
  const size = new Float64Array(count);
  for (let i = 0; i < count; i++) size[i] = fixed !== 0 ? fixed : data.readUInt32BE(stsz.start + 12 + i * 4);

  const wide = stco.type === 'co64';
  const chunks = data.readUInt32BE(stco.start + 4);
  if (stco.start + 8 + chunks * (wide ? 8 : 4) > stco.end) return null;
  const chunkOffset = (c: number): number =>
    wide ? Number(data.readBigUInt64BE(stco.start + 8 + c * 8)) : data.readUInt32BE(stco.start + 8 + c * 4);
  const runs = data.readUInt32BE(stsc.start + 4);
  if (stsc.start + 8 + runs * 12 > stsc.end || runs === 0) return null;

  const offset = new Float64Array(count);
  let sample = 0;
  for (let run = 0; run < runs; run++) {
    const at = stsc.start + 8 + run * 12;
    const firstChunk = data.readUInt32BE(at) - 1;
    const perChunk = data.readUInt32BE(at + 4);
    const nextFirst = run + 1 < runs ? data.readUInt32BE(at + 12) - 1 : chunks;
    if (firstChunk < 0 || nextFirst > chunks || nextFirst < firstChunk) return null;
    for (let chunk = firstChunk; chunk < nextFirst; chunk++) {
      let pos = chunkOffset(chunk);
      for (let k = 0; k < perChunk && sample < count; k++, sample++) {
        offset[sample] = pos;
        pos += size[sample]!;
      }
    }
  }
  return sample === count ? { offset, size } : null;
}

/**
 * The length-prefix size of the NAL units in an avc1/avc3 or hvc1/hev1 sample entry (from its
 * avcC/hvcC), or null for any other sample entry.
 */
export function nalLengthSize(data: Buffer, stbl: Box[]): { codec: 'h264' | 'hevc'; lengthSize: number } | null {
  const stsd = findBox(stbl, 'stsd');
  if (!stsd || stsd.end - stsd.start < 16) return null;
  // stsd: version/flags, entry count, then the first entry: size, type, 78 bytes of visual fields, its boxes.
  const entryStart = stsd.start + 8;
  const entrySize = data.readUInt32BE(entryStart);
  const type = data.toString('latin1', entryStart + 4, entryStart + 8);
  const codec = type === 'avc1' || type === 'avc3' ? 'h264' : type === 'hvc1' || type === 'hev1' ? 'hevc' : null;
  if (!codec) return null;
  const end = Math.min(stsd.end, entryStart + entrySize);
  let at = entryStart + 8 + 78;
  while (at + 8 <= end) {
    const size = data.readUInt32BE(at);
    const box = data.toString('latin1', at + 4, at + 8);
    if (size < 8) return null;
    if (codec === 'h264' && box === 'avcC' && at + 13 <= end) return { codec, lengthSize: (data.readUInt8(at + 8 + 4) & 3) + 1 };
    if (codec === 'hevc' && box === 'hvcC' && at + 30 <= end) return { codec, lengthSize: (data.readUInt8(at + 8 + 21) & 3) + 1 };
    at += size;
  }
  return null;
}
