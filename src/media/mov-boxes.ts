import type { FileHandle } from 'node:fs/promises';

/** One ISO-BMFF box: its four-character type and where its payload lies in `data`. */
export interface Box {
  type: string;
  /** Offset of the box (its header) in the buffer or file it was read from. */
  at: number;
  /** Offset of the payload (after the header). */
  start: number;
  end: number;
}

/** The largest moov this reader takes in: a few hours of samples. */
const MAX_MOOV_BYTES = 64 * 1024 * 1024;
const HEADER_BYTES = 16;

function typeAt(data: Buffer, offset: number): string {
  return data.toString('latin1', offset, offset + 4);
}

/** The boxes laid end to end in data[start, end); null when one does not fit. */
export function childBoxes(data: Buffer, start: number, end: number): Box[] | null {
  const boxes: Box[] = [];
  let at = start;
  while (at + 8 <= end) {
    let size = data.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      if (at + 16 > end) return null;
      const large = data.readBigUInt64BE(at + 8);
      if (large > BigInt(end - at)) return null;
      size = Number(large);
      header = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < header || at + size > end) return null;
    boxes.push({ type: typeAt(data, at + 4), at, start: at + header, end: at + size });
    at += size;
  }
  return at === end ? boxes : null;
}

/** The first box of `type` among `boxes`, or undefined. */
export function findBox(boxes: readonly Box[], type: string): Box | undefined {
  return boxes.find((b) => b.type === type);
}

/** The children of the box at `path` below `boxes` (e.g. ['mdia', 'minf', 'stbl']), or null. */
export function descend(data: Buffer, boxes: readonly Box[], path: readonly string[]): Box[] | null {
  let level: readonly Box[] = boxes;
  for (const type of path) {
    const box = findBox(level, type);
    if (!box) return null;
    const children = childBoxes(data, box.start, box.end);
    if (!children) return null;
    level = children;
  }
  return [...level];
}

/**
 * The file's top-level boxes (offsets in the file), read header by header; null when they do not
 * add up, or as soon as a box of type `refused` turns up.
 */
export async function topLevelBoxes(file: FileHandle, refused?: string): Promise<Box[] | null> {
  const { size: fileSize } = await file.stat();
  const header = Buffer.alloc(HEADER_BYTES);
  const boxes: Box[] = [];
  let at = 0;
  while (at + 8 <= fileSize) {
    const { bytesRead } = await file.read(header, 0, HEADER_BYTES, at);
    if (bytesRead < 8) return null;
    let size = header.readUInt32BE(0);
    let headerBytes = 8;
    if (size === 1) {
      if (bytesRead < 16) return null;
      size = Number(header.readBigUInt64BE(8));
      headerBytes = 16;
    } else if (size === 0) {
      size = fileSize - at;
    }
    if (size < headerBytes || at + size > fileSize) return null;
    const type = typeAt(header, 4);
    if (type === refused) return null;
    boxes.push({ type, at, start: at + headerBytes, end: at + size });
    at += size;
  }
  return boxes;
}

/**
 * The payload of the file's top-level moov box, or null when the file has none, keeps fragments
 * (moof: its samples are not all in moov) or its boxes do not add up.
 */
export async function readMoov(file: FileHandle): Promise<Buffer | null> {
  const top = await topLevelBoxes(file, 'moof');
  if (!top) return null;
  const moovs = top.filter((b) => b.type === 'moov');
  if (moovs.length !== 1 || moovs[0]!.end - moovs[0]!.start > MAX_MOOV_BYTES) return null;
  const moov = Buffer.alloc(moovs[0]!.end - moovs[0]!.start);
  const read = await file.read(moov, 0, moov.length, moovs[0]!.start);
  return read.bytesRead === moov.length ? moov : null;
}
