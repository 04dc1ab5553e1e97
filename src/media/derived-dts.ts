import type { StreamPacket } from './smart-cut-streams.js';

/**
 * Fills in the decode timestamps that the Matroska demuxer's parser leaves out for the first video
 * packets after a seek (it needs the reorder depth first; Matroska stores none): one frame apart,
 * ending one frame before the first packet that has one. Enough to plan a cut from.
 */
export function withDerivedDts(listing: StreamPacket[], videoIndex: number, frameTicks: number): StreamPacket[] {
  const video = listing.filter((p) => p.stream === videoIndex);
  const known = video.findIndex((p) => p.dts !== null);
  if (known <= 0) return listing;
  const firstDts = video[known]!.dts!;
  const missing = new Map(video.slice(0, known).map((p, i) => [p, Math.round(firstDts - (known - i) * frameTicks)]));
  return listing.map((p) => (missing.has(p) ? { ...p, dts: missing.get(p)! } : p));
}
