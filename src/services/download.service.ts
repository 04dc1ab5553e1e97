import { extensionForContainer } from '../media/media-info.js';
import { conflict, notFound } from '../domain/errors.js';
import type { BlobStore, ByteRange, VideoStore } from '../core/ports.js';
import { visibleTo, type TenantFilter } from '../domain/tenant.js';

export interface Downloadable {
  storageKey: string;
  sizeBytes: number;
  etag: string;
  lastModified: Date;
  filename: string;
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  matroska: 'video/x-matroska',
  webm: 'video/webm',
  avi: 'video/x-msvideo',
  mpegts: 'video/mp2t',
  flv: 'video/x-flv',
  ogg: 'video/ogg',
};

/** Finds the file behind a ready video and what a response needs to describe it. */
export class DownloadService {
  constructor(
    private readonly videos: VideoStore,
    private readonly blobs: BlobStore,
  ) {}

  async resolve(id: string, tenant: TenantFilter = null): Promise<Downloadable> {
    const video = await this.videos.findById(id);
    if (!video || !visibleTo(video, tenant)) throw notFound(`Video ${id} does not exist.`, 'video_not_found');
    if (video.status !== 'ready' || !video.storageKey) {
      throw conflict(`Video ${id} is not ready for download: its status is ${video.status}.`, 'video_not_ready', video.status !== 'failed');
    }
    const stat = await this.blobs.stat(video.storageKey);
    if (!stat) throw notFound(`The file of video ${id} is gone.`, 'video_file_missing');
    const container = video.container ?? 'mp4';
    const ext = extensionForContainer(container);
    const base = video.originalName ? stripExtension(video.originalName) : `${video.kind}-${video.id}`;
    return {
      storageKey: video.storageKey,
      sizeBytes: stat.sizeBytes,
      // Strong: a new output (a retry) is a new file with another size or mtime.
      etag: `"${video.id}-${stat.sizeBytes.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`,
      lastModified: new Date(stat.mtimeMs),
      filename: `${base || video.id}.${ext}`,
      contentType: CONTENT_TYPES[container] ?? 'application/octet-stream',
    };
  }

  open(d: Downloadable, range?: ByteRange): Promise<NodeJS.ReadableStream> {
    return this.blobs.openRead(d.storageKey, range);
  }

  /** A URL that serves the file straight from the store for `expiresInSec`; undefined when the store has none. */
  presigned(d: Downloadable, expiresInSec: number, contentDisposition: string): Promise<string | undefined> {
    return this.blobs.presignDownload(d.storageKey, { expiresInSec, contentDisposition, contentType: d.contentType });
  }
}

function stripExtension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}
