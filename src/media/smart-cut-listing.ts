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

/**
 * The listing without the video packets before its first keyframe that is kept: an MPEG-TS seek
 * lands on any packet, and an edit list starting inside a GOP leaves the packets before its start
 * marked to be discarded (the GOP's head, which the demuxer reads only to decode from).
 */
export function fromFirstKeptKeyframe(listing: StreamPacket[], videoIndex: number): StreamPacket[] {
  const first = listing.findIndex((p) => p.stream === videoIndex && p.key && !p.discard);
  if (first < 0) return listing;
  return listing.filter((p, i) => i >= first || p.stream !== videoIndex);
}

/** The fix-ups the smart cut plans a source's listing with, whatever its container. */
export function plannableListing(listing: StreamPacket[], videoIndex: number, container: string, frameTicks: number): StreamPacket[] {
  const timed = container === 'matroska' ? withDerivedDts(listing, videoIndex, frameTicks) : listing;
  return fromFirstKeptKeyframe(timed, videoIndex);
}
