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
import { open } from 'node:fs/promises';
import { childBoxes, topLevelBoxes, type Box } from './mov-boxes.js';

const EOS_NAL = Buffer.from([0x48, 0x01]); // nal_unit_type 36, nuh_layer_id 0, nuh_temporal_id_plus1 1

/** The one child of `parent` of `type`, its search starting `skip` bytes into the payload; throws for none or several. */
function onlyChild(buf: Buffer, parent: Box, type: string, skip = 0): Box {
  const found = childBoxes(buf, parent.start + skip, parent.end)?.filter((b) => b.type === type);
  if (!found) throw new Error('malformed box in the moov');
  if (found.length !== 1) throw new Error(`expected one ${type} box, found ${found.length}`);
  return found[0]!;
}

/** The size of every sample, from an stsz box (which holds one size for all of them when they are equal). */
function sampleSizes(buf: Buffer, stsz: Box): number[] {
  const common = buf.readUInt32BE(stsz.start + 4);
  const count = buf.readUInt32BE(stsz.start + 8);
  if (common !== 0) return new Array<number>(count).fill(common);
  if (stsz.end - stsz.at !== 20 + 4 * count) throw new Error('unexpected sample size table');
  return Array.from({ length: count }, (_, i) => buf.readUInt32BE(stsz.start + 12 + 4 * i));
}

/** Appends an end-of-sequence NAL unit to the last sample of `file`, an mp4 holding one HEVC track. */
export async function appendHevcEndOfSequence(file: string): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    const top = await topLevelBoxes(fh);
    if (!top) throw new Error('malformed top-level box');
    const mdats = top.filter((b) => b.type === 'mdat');
    const moov = top[top.length - 1];
    if (mdats.length !== 1 || !moov || moov.type !== 'moov' || moov.start - moov.at !== 8) throw new Error('not an mp4 with one mdat and the moov last');
    const mdat = mdats[0]!;
    const mdatHeader = mdat.start - mdat.at;
    if (mdat.end !== moov.at) throw new Error('the moov does not follow the mdat');

    const buf = Buffer.alloc(moov.end - moov.at);
    await fh.read(buf, 0, buf.length, moov.at);
    const root: Box = { type: 'moov', at: 0, start: 8, end: buf.length };
    const trak = onlyChild(buf, root, 'trak');
    const mdia = onlyChild(buf, trak, 'mdia');
    const minf = onlyChild(buf, mdia, 'minf');
    const stbl = onlyChild(buf, minf, 'stbl');
    const stsd = onlyChild(buf, stbl, 'stsd');
    // stsd: version/flags and entry count, then the sample entry, whose visual fields take 78 bytes.
    const entry = onlyChild(buf, stsd, buf.toString('latin1', stsd.start + 12, stsd.start + 16), 8);
    if (entry.type !== 'hev1' && entry.type !== 'hvc1') throw new Error(`sample entry ${entry.type} is not HEVC`);
    const hvcC = onlyChild(buf, entry, 'hvcC', 78);
    const lengthSize = (buf.readUInt8(hvcC.start + 21) & 3) + 1;

    const stsz = onlyChild(buf, stbl, 'stsz');
    const sizes = sampleSizes(buf, stsz);
    // Samples filling the mdat exactly, in order, put the last one at its end.
    if (sizes.length === 0 || sizes.reduce((a, b) => a + b, 0) !== mdat.end - mdat.start) throw new Error('the samples do not fill the mdat');

    const unit = Buffer.alloc(lengthSize + EOS_NAL.length);
    unit.writeUIntBE(EOS_NAL.length, 0, lengthSize);
    EOS_NAL.copy(unit, lengthSize);
    sizes[sizes.length - 1]! += unit.length;
    // The table is written out in full (it may have held one size for all samples); the boxes around it grow with it.
    const table = Buffer.alloc(20 + 4 * sizes.length);
    buf.copy(table, 0, stsz.at, stsz.at + 12);
    table.writeUInt32BE(table.length, 0);
    table.writeUInt32BE(sizes.length, 16);
    sizes.forEach((size, i) => table.writeUInt32BE(size, 20 + 4 * i));
    const growth = table.length - (stsz.end - stsz.at);
    const moovOut = Buffer.concat([buf.subarray(0, stsz.at), table, buf.subarray(stsz.end)]);
    for (const box of [root, trak, mdia, minf, stbl]) {
      if (box.start - box.at !== 8) throw new Error(`a ${box.type} box with a 64-bit size`);
      moovOut.writeUInt32BE(box.end - box.at + growth, box.at);
    }

    const mdatSize = mdat.end - mdat.at + unit.length;
    const sizeField = Buffer.alloc(mdatHeader === 16 ? 8 : 4);
    if (mdatHeader === 16) sizeField.writeBigUInt64BE(BigInt(mdatSize));
    else if (mdatSize <= 0xffffffff) sizeField.writeUInt32BE(mdatSize);
    else throw new Error('the mdat would outgrow its 32-bit size');
    // Chunk offsets point into the mdat, ahead of what moves, so the moov is written back as it was but for stsz.
    await fh.write(Buffer.concat([unit, moovOut]), 0, unit.length + moovOut.length, mdat.end);
    await fh.write(sizeField, 0, sizeField.length, mdat.at + (mdatHeader === 16 ? 8 : 0));
  } finally {
    await fh.close();
  }
}
