import { DEFAULT_TENANT } from '../domain/tenant.js';
import { randomUUID } from 'node:crypto';
import type { ImportErrorCode } from '../domain/import.js';
import type { ProbedMetadata, Video } from '../domain/video.js';
import { videoEvent, videoStatusEvent } from './events.js';
import type { UnitOfWork } from './ports.js';

/**
 * The import lifecycle: the only code that changes an imported video's status. A request records a
 * `processing` video and the event that hands it to a worker; the worker's outcome is one guarded
 * update (processing → ready | failed) with its event, in one transaction.
 */
export interface ImportOwner {
  id?: string | undefined;
  tenantId?: string;
}

export class ImportLifecycle {
  constructor(private readonly uow: UnitOfWork) {}

  /** `owner.id`: chosen by the caller (an Idempotency-Key's); when that video exists, it is the answer. */
  async request(url: string, name: string | null, owner: ImportOwner = {}): Promise<Video> {
    return this.uow.run(async ({ videos, outbox }) => {
      const earlier = owner.id ? await videos.findById(owner.id) : undefined;
      if (earlier) return earlier;
      const video = await videos.insert({
        id: owner.id ?? randomUUID(),
        kind: 'upload',
        status: 'processing',
        originalName: name,
        storageKey: null,
        sourceJobId: null,
        metadata: null,
        sourceUrl: url,
        tenantId: owner.tenantId ?? DEFAULT_TENANT,
      });
      await outbox.append([videoEvent('video.created', video), videoEvent('video.import_requested', video)]);
      return video;
    });
  }

  /** The imported file is in place under `storageKey`; undefined when the video is no longer processing. */
  async complete(videoId: string, storageKey: string, metadata: ProbedMetadata): Promise<Video | undefined> {
    return this.uow.run(async ({ videos, outbox }) => {
      const video = await videos.markReady(videoId, storageKey, metadata);
      if (video) await outbox.append([videoStatusEvent(video)]);
      return video;
    });
  }

  async fail(videoId: string, code: ImportErrorCode, message: string): Promise<Video | undefined> {
    return this.uow.run(async ({ videos, outbox }) => {
      const video = await videos.markFailed(videoId, ['processing'], { code, message });
      if (video) await outbox.append([videoStatusEvent(video)]);
      return video;
    });
  }

  /** The video an import execution works for, when it still waits for one. */
  async pending(videoId: string): Promise<Video | undefined> {
    const video = await this.uow.read.videos.findById(videoId);
    return video && video.status === 'processing' && video.sourceUrl ? video : undefined;
  }
}
