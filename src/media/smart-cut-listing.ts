import type { StreamPacket } from './smart-cut-streams.js';

/**
 * How much further back than asked a listing of an MPEG-TS file starts (seconds). ffprobe's
 * -read_intervals seek may land on any later keyframe there: the MPEG-TS demuxer has no index and
 * searches forward, so the keyframe before the point is listed only when the listing starts a GOP
 * earlier. Broadcast GOPs are a few seconds at most.
 */
const TS_LISTING_LOOKBACK_SEC = 10;

/** Where (seconds, absolute) to list a source's packets from so that the keyframe before `fromSec` is listed too. */
export function listingStart(container: string, fromSec: number): number {
  return Math.max(0, fromSec - (container === 'mpegts' ? TS_LISTING_LOOKBACK_SEC : 0));
}

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
 * The listing without the video packets the demuxer marks to be discarded: those before the start of
 * an edit list that starts inside a GOP (read only to decode from, never passed on by a copy).
 */
export function withoutDiscardedVideo(listing: StreamPacket[], videoIndex: number): StreamPacket[] {
  return listing.filter((p) => p.stream !== videoIndex || !p.discard);
}

/** The listing without the video packets before its first keyframe (an MPEG-TS seek lands on any packet). */
export function fromFirstKeyframe(listing: StreamPacket[], videoIndex: number): StreamPacket[] {
  const first = listing.findIndex((p) => p.stream === videoIndex && p.key);
  if (first < 0) return listing;
  return listing.filter((p, i) => i >= first || p.stream !== videoIndex);
}

/** A listing of the source as a copy of it passes the packets on: decode times filled in, discarded packets left out. */
export function copiedListing(listing: StreamPacket[], videoIndex: number, container: string, frameTicks: number): StreamPacket[] {
  const timed = container === 'matroska' ? withDerivedDts(listing, videoIndex, frameTicks) : listing;
  return withoutDiscardedVideo(timed, videoIndex);
}

/** The same, starting on a keyframe, as the smart cut's planning takes a window. */
export function plannableListing(listing: StreamPacket[], videoIndex: number, container: string, frameTicks: number): StreamPacket[] {
  return fromFirstKeyframe(copiedListing(listing, videoIndex, container, frameTicks), videoIndex);
}
