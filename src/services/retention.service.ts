import type { VideoRepository } from '../repositories/video.repository.js';
import type { FileStorage } from '../storage/file-storage.js';

export interface RetentionReport {
  videosDeleted: number;
  batches: number;
  tempFilesDeleted: number;
}

/**
 * Deletes failed and cancelled outputs and stray temp files older than the retention time, in
 * bounded batches so no statement holds locks for long.
 */
export class RetentionService {
  constructor(
    private readonly videos: VideoRepository,
    private readonly storage: FileStorage,
    private readonly retentionHours: number,
    private readonly batchSize = 500,
  ) {}

  async runOnce(now = new Date()): Promise<RetentionReport> {
    const before = new Date(now.getTime() - this.retentionHours * 3_600_000);
    let videosDeleted = 0;
    let batches = 0;
    for (;;) {
      const batch = await this.videos.deleteFailedOutputsBefore(before, this.batchSize);
      for (const v of batch) if (v.storageKey) await this.storage.remove(v.storageKey).catch(() => {});
      videosDeleted += batch.length;
      batches += 1;
      if (batch.length < this.batchSize) break;
    }
    const tempFilesDeleted = await this.storage.discardTempsOlderThan(before);
    return { videosDeleted, batches, tempFilesDeleted };
  }
}
