import type { Sql } from '../db/sql-client.js';
import { conflict, notFound } from '../domain/errors.js';
import type { Video } from '../domain/video.js';
import { JobRepository } from '../repositories/job.repository.js';
import { VideoRepository, type VideoListFilter } from '../repositories/video.repository.js';
import type { FileStorage } from '../storage/file-storage.js';

/** Video queries and deletion. */
export class VideoService {
  constructor(
    private readonly sql: Sql,
    private readonly videos: VideoRepository,
    private readonly storage: FileStorage,
  ) {}

  async get(id: string): Promise<Video> {
    const video = await this.videos.findById(id);
    if (!video) throw notFound(`Video ${id} does not exist.`);
    return video;
  }

  list(filter: VideoListFilter) {
    return this.videos.list(filter);
  }

  async delete(id: string): Promise<void> {
    const deleted = await this.sql.begin(async (tx) => {
      const video = await new VideoRepository(tx).lockById(id);
      if (!video) throw notFound(`Video ${id} does not exist.`);
      const busy = await new JobRepository(tx).findUnfinishedTouchingVideo(id);
      if (busy.length > 0) {
        const j = busy[0]!;
        throw conflict(`Video ${id} is in use by job ${j.id}, which is ${j.status}.`);
      }
      return new VideoRepository(tx).delete(id);
    });
    if (deleted?.storageKey) await this.storage.remove(deleted.storageKey);
  }
}
