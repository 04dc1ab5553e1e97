/**
 * Ends the coded video sequence of an HEVC mp4 piece by adding an end-of-sequence NAL unit to its
 * last sample. After it, a CRA picture starts a new sequence (NoRaslOutputFlag = 1) as an IDR does:
 * its picture order count restarts, and parameter sets of other content may be activated with it.
 * Without it, a CRA copied after a re-encoded head would continue the head's sequence, with the
 * head's SPS/PPS ids given other content mid-sequence. No encoder option (x265 3.5) or ffmpeg 5.1
 * bitstream filter adds one, so the file is patched: the unit is appended to the media data and the
 * last entry of the sample size table grows by its size.
 *
 * Only the files ffmpeg's mp4 muxer writes for a piece are accepted: one track, its samples the whole
 * of one 'mdat', the 'moov' after it at the end of the file.
 */
import { open, type FileHandle } from 'node:fs/promises';

const EOS_NAL = Buffer.from([0x48, 0x01]); // nal_unit_type 36, nuh_layer_id 0, nuh_temporal_id_plus1 1

interface Box {
  type: string;
  start: number;
  headerSize: number;
  size: number;
}

function boxesIn(buf: Buffer, from: number, to: number): Box[] {
  const list: Box[] = [];
  for (let at = from; at + 8 <= to; ) {
    const size = buf.readUInt32BE(at);
    if (size < 8 || at + size > to) throw new Error('malformed box in the moov');
    list.push({ type: buf.toString('latin1', at + 4, at + 8), start: at, headerSize: 8, size });
    at += size;
  }
  return list;
}

function child(buf: Buffer, parent: Box, type: string, skip = 0): Box {
  const found = boxesIn(buf, parent.start + parent.headerSize + skip, parent.start + parent.size).filter((b) => b.type === type);
  if (found.length !== 1) throw new Error(`expected one ${type} box, found ${found.length}`);
  return found[0]!;
}

async function topLevelBoxes(fh: FileHandle, fileSize: number): Promise<Box[]> {
  const list: Box[] = [];
  const header = Buffer.alloc(16);
  for (let at = 0; at + 8 <= fileSize; ) {
    await fh.read(header, 0, 16, at);
    let size = header.readUInt32BE(0);
    let headerSize = 8;
    if (size === 1) {
      size = Number(header.readBigUInt64BE(8));
      headerSize = 16;
    } else if (size === 0) {
      size = fileSize - at;
    }
    if (size < headerSize || at + size > fileSize) throw new Error('malformed top-level box');
    list.push({ type: header.toString('latin1', 4, 8), start: at, headerSize, size });
    at += size;
  }
  return list;
}

/** The size of every sample, from an stsz box (which holds one size for all of them when they are equal). */
function sampleSizes(buf: Buffer, stsz: Box): number[] {
  const common = buf.readUInt32BE(stsz.start + 12);
  const count = buf.readUInt32BE(stsz.start + 16);
  if (common !== 0) return new Array<number>(count).fill(common);
  if (stsz.size !== 20 + 4 * count) throw new Error('unexpected sample size table');
  return Array.from({ length: count }, (_, i) => buf.readUInt32BE(stsz.start + 20 + 4 * i));
}

/** Appends an end-of-sequence NAL unit to the last sample of `file`, an mp4 holding one HEVC track. */
export async function appendHevcEndOfSequence(file: string): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    const { size: fileSize } = await fh.stat();
    const top = await topLevelBoxes(fh, fileSize);
    const mdats = top.filter((b) => b.type === 'mdat');
    const moov = top[top.length - 1];
    if (mdats.length !== 1 || !moov || moov.type !== 'moov' || moov.headerSize !== 8) throw new Error('not an mp4 with one mdat and the moov last');
    const mdat = mdats[0]!;
    const mdatEnd = mdat.start + mdat.size;
    if (mdatEnd !== moov.start) throw new Error('the moov does not follow the mdat');

    const buf = Buffer.alloc(moov.size);
    await fh.read(buf, 0, moov.size, moov.start);
    const root: Box = { type: 'moov', start: 0, headerSize: 8, size: moov.size };
    const trak = child(buf, root, 'trak');
    const mdia = child(buf, trak, 'mdia');
    const minf = child(buf, mdia, 'minf');
    const stbl = child(buf, minf, 'stbl');
    const stsd = child(buf, stbl, 'stsd');
    // stsd: version/flags and entry count, then the sample entry, whose visual fields take 78 bytes.
    const entry = child(buf, stsd, buf.toString('latin1', stsd.start + 20, stsd.start + 24), 8);
    if (entry.type !== 'hev1' && entry.type !== 'hvc1') throw new Error(`sample entry ${entry.type} is not HEVC`);
    const hvcC = child(buf, entry, 'hvcC', 78);
    const lengthSize = (buf.readUInt8(hvcC.start + 8 + 21) & 3) + 1;

    const stsz = child(buf, stbl, 'stsz');
    const sizes = sampleSizes(buf, stsz);
    // Samples filling the mdat exactly, in order, put the last one at its end.
    if (sizes.length === 0 || sizes.reduce((a, b) => a + b, 0) !== mdat.size - mdat.headerSize) throw new Error('the samples do not fill the mdat');

    const unit = Buffer.alloc(lengthSize + EOS_NAL.length);
    unit.writeUIntBE(EOS_NAL.length, 0, lengthSize);
    EOS_NAL.copy(unit, lengthSize);
    sizes[sizes.length - 1]! += unit.length;
    // The table is written out in full (it may have held one size for all samples); the boxes around it grow with it.
    const table = Buffer.alloc(20 + 4 * sizes.length);
    buf.copy(table, 0, stsz.start, stsz.start + 12);
    table.writeUInt32BE(table.length, 0);
    table.writeUInt32BE(sizes.length, 16);
    sizes.forEach((size, i) => table.writeUInt32BE(size, 20 + 4 * i));
    const growth = table.length - stsz.size;
    const moovOut = Buffer.concat([buf.subarray(0, stsz.start), table, buf.subarray(stsz.start + stsz.size)]);
    for (const box of [root, trak, mdia, minf, stbl]) moovOut.writeUInt32BE(box.size + growth, box.start);

    const sizeField = Buffer.alloc(mdat.headerSize === 16 ? 8 : 4);
    if (mdat.headerSize === 16) sizeField.writeBigUInt64BE(BigInt(mdat.size + unit.length));
    else if (mdat.size + unit.length <= 0xffffffff) sizeField.writeUInt32BE(mdat.size + unit.length);
    else throw new Error('the mdat would outgrow its 32-bit size');
    // Chunk offsets point into the mdat, ahead of what moves, so the moov is written back as it was but for stsz.
    await fh.write(Buffer.concat([unit, moovOut]), 0, unit.length + moovOut.length, mdatEnd);
    await fh.write(sizeField, 0, sizeField.length, mdat.start + (mdat.headerSize === 16 ? 8 : 0));
  } finally {
    await fh.close();
  }
}
