import { videoEvent } from '../core/events.js';
import type { UnitOfWork, VideoListFilter } from '../core/ports.js';
import { conflict, notFound } from '../domain/errors.js';
import { visibleTo, type TenantFilter } from '../domain/tenant.js';
import type { Video } from '../domain/video.js';
import type { BlobStore } from '../core/ports.js';

/** Video queries and deletion. */
export class VideoService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly blobs: BlobStore,
  ) {}

  /** Another tenant's video is unknown to the caller: 404, never 403. */
  async get(id: string, tenant: TenantFilter = null): Promise<Video> {
    const video = await this.uow.read.videos.findById(id);
    if (!video || !visibleTo(video, tenant)) throw notFound(`Video ${id} does not exist.`, 'video_not_found');
    return video;
  }

  list(filter: VideoListFilter) {
    return this.uow.read.videos.list(filter);
  }

  async delete(id: string, tenant: TenantFilter = null): Promise<void> {
    const deleted = await this.uow.run(async ({ videos, jobs, outbox }) => {
      const video = await videos.lockById(id);
      if (!video || !visibleTo(video, tenant)) throw notFound(`Video ${id} does not exist.`, 'video_not_found');
      const busy = await jobs.findUnfinishedTouchingVideo(id);
      if (busy.length > 0) {
        const j = busy[0]!;
        throw conflict(`Video ${id} is in use by job ${j.id}, which is ${j.status}.`, 'video_in_use');
      }
      const gone = await videos.delete(id);
      if (gone) await outbox.append([videoEvent('video.deleted', gone)]);
      return gone;
    });
    if (deleted?.storageKey) await this.blobs.remove(deleted.storageKey);
  }
}
