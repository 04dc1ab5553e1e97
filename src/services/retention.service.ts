import type { VideoStore } from '../core/ports.js';
import type { IdempotencyKeyStore } from '../repositories/idempotency-key.repository.js';
import type { OutboxRepository } from '../repositories/outbox.repository.js';
import type { Storage } from '../storage/open-storage.js';

export interface RetentionReport {
  videosDeleted: number;
  batches: number;
  tempFilesDeleted: number;
  orphanFilesDeleted: number;
  outboxEventsDeleted: number;
  /** Idempotency keys past their 24 h. */
  idempotencyKeysDeleted: number;
  /** Resumable uploads that expired unfinished, their bytes removed (when the pass has them). */
  uploadsExpired?: number;
}

export interface RetentionOptions {
  videos: VideoStore;
  outbox: OutboxRepository;
  storage: Pick<Storage, 'blobs' | 'scratch'>;
  /** Absent: expired idempotency keys are left alone. */
  idempotencyKeys?: Pick<IdempotencyKeyStore, 'deleteExpiredBefore'>;
  /** Absent: resumable uploads are left alone. Removes expired ones in bounded batches; returns how many. */
  expireUploads?: (now: Date) => Promise<number>;
  /** Failed outputs and stray temp files older than this go (RETENTION_HOURS). */
  retentionHours: number;
  /** Delivered events older than this go; SSE replays reach back this far (OUTBOX_RETENTION_HOURS). */
  outboxRetentionHours: number;
  batchSize?: number;
}

// A file renamed into videos/ whose record is about to commit is seconds old; one no record names
// after an hour was left by a crash between the rename and the commit.
const ORPHAN_GRACE_MS = 3_600_000;

/**
 * Deletes failed and cancelled outputs, failed imports, stray temp files, files no video names, delivered outbox
 * events, expired idempotency keys and resumable uploads, each in bounded batches so no statement holds locks for long.
 */
export class RetentionService {
  private readonly batchSize: number;

  constructor(private readonly o: RetentionOptions) {
    this.batchSize = o.batchSize ?? 500;
  }

  async runOnce(now = new Date()): Promise<RetentionReport> {
    const before = new Date(now.getTime() - this.o.retentionHours * 3_600_000);
    let videosDeleted = 0;
    let batches = 0;
    for (;;) {
      const batch = await this.o.videos.deleteFailedOutputsBefore(before, this.batchSize);
      for (const v of batch) if (v.storageKey) await this.o.storage.blobs.remove(v.storageKey).catch(() => {});
      videosDeleted += batch.length;
      batches += 1;
      if (batch.length < this.batchSize) break;
    }
    const tempFilesDeleted = await this.o.storage.scratch.discardTempsOlderThan(before);
    const orphanFilesDeleted = await this.removeOrphans(new Date(now.getTime() - ORPHAN_GRACE_MS));
    const outboxBefore = new Date(now.getTime() - this.o.outboxRetentionHours * 3_600_000);
    let outboxEventsDeleted = 0;
    for (;;) {
      const n = await this.o.outbox.deleteDeliveredBefore(outboxBefore, this.batchSize);
      outboxEventsDeleted += n;
      if (n < this.batchSize) break;
    }
    let idempotencyKeysDeleted = 0;
    for (;;) {
      if (!this.o.idempotencyKeys) break;
      const n = await this.o.idempotencyKeys.deleteExpiredBefore(now, this.batchSize);
      idempotencyKeysDeleted += n;
      if (n < this.batchSize) break;
    }
    const report: RetentionReport = { videosDeleted, batches, tempFilesDeleted, orphanFilesDeleted, outboxEventsDeleted, idempotencyKeysDeleted };
    if (this.o.expireUploads) report.uploadsExpired = await this.o.expireUploads(now);
    return report;
  }

  private async removeOrphans(before: Date): Promise<number> {
    const keys = await this.o.storage.blobs.keysOlderThan(before);
    let removed = 0;
    for (let i = 0; i < keys.length; i += this.batchSize) {
      const chunk = keys.slice(i, i + this.batchSize);
      const referenced = await this.o.videos.referencedKeys(chunk);
      for (const key of chunk.filter((k) => !referenced.has(k))) {
        await this.o.storage.blobs.remove(key).catch(() => {});
        removed += 1;
      }
    }
    return removed;
  }
}
