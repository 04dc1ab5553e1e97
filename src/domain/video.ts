import type { ClientMetadata } from './metadata.js';

export const VIDEO_KINDS = ['upload', 'trim', 'concat'] as const;
export const VIDEO_STATUSES = ['pending', 'processing', 'ready', 'failed'] as const;
export type VideoKind = (typeof VIDEO_KINDS)[number];
export type VideoStatus = (typeof VIDEO_STATUSES)[number];

/** Probe details beyond the public fields, kept to decide whether inputs can be joined by stream copy. */
export type MediaDetails = Record<string, unknown>;

export interface Video {
  id: string;
  kind: VideoKind;
  status: VideoStatus;
  originalName: string | null;
  storageKey: string | null;
  sizeBytes: number | null;
  durationSec: number | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  videoCodec: string | null;
  audioCodec: string | null;
  container: string | null;
  media: MediaDetails | null;
  sourceJobId: string | null;
  /** The client metadata of the command that produces it (null: none, and for uploads). */
  clientMetadata: ClientMetadata | null;
  /** Where an imported video is fetched from (null: not an import). */
  sourceUrl?: string | null;
  /** Why the video failed, when it failed on its own (an import); a failed output's reason is on its job. */
  error?: string | null;
  errorCode?: string | null;
  eventSeq: number;
  /** The tenant of the key that uploaded it or recorded the command that makes it. */
  tenantId: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface ProbedMetadata {
  sizeBytes: number;
  durationSec: number;
  width: number;
  height: number;
  fps: number;
  videoCodec: string;
  audioCodec: string | null;
  container: string;
  media: MediaDetails;
}
