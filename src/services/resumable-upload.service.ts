import { visibleTo, type TenantFilter } from '../domain/tenant.js';
import type { Upload } from '@tus/server';
import type { FileStore } from '@tus/file-store';
import type { Logger } from 'pino';
import { DomainError, ERROR_CODES, isErrorCode, notFound } from '../domain/errors.js';
import type { ResumableUpload, ResumableUploadRepository } from '../repositories/resumable-upload.repository.js';
import type { UploadService } from './upload.service.js';

export type FinishOutcome = { kind: 'video'; videoId: string } | { kind: 'refused'; error: DomainError };

export interface UploadState {
  id: string;
  status: ResumableUpload['status'];
  offset: number;
  length: number | null;
  originalName: string | null;
  videoId: string | null;
  error: { code: string; detail: string } | null;
  expiresAt: string;
  createdAt: string;
}

export interface ResumableUploadOptions {
  expiryMs: number;
  /** How long the outcome of a finished upload stays readable (RETENTION_HOURS). */
  finishedRetentionMs: number;
  batchSize?: number;
  /** How long a second finishing request waits for the first one's outcome. */
  finishWaitMs?: number;
}

/**
 * Resumable (tus) uploads: the tus server keeps the bytes in its FileStore; this keeps the outcome.
 * A finished upload goes through UploadService.accept exactly as a multipart upload does, once:
 * the guarded receiving → finishing claim picks the one request that does it.
 */
export class ResumableUploadService {
  constructor(
    private readonly repo: ResumableUploadRepository,
    readonly store: FileStore,
    private readonly uploads: UploadService,
    private readonly opts: ResumableUploadOptions,
    private readonly logger: Logger,
  ) {}

  async created(upload: Upload, tenantId: string): Promise<void> {
    await this.repo.insert({ id: upload.id, length: upload.size ?? null, originalName: nameOf(upload), expiresAt: new Date(Date.now() + this.opts.expiryMs), tenantId });
  }

  /** 404 unless the upload exists and the caller may see it (another tenant's is unknown to it). */
  async ensureVisible(id: string, tenant: TenantFilter): Promise<void> {
    const row = await this.repo.findById(id);
    if (row && !visibleTo(row, tenant)) throw notFound(`Upload ${id} does not exist.`, 'upload_not_found');
  }

  async finish(upload: Upload): Promise<FinishOutcome> {
    const claimed = await this.repo.claimFinishing(upload.id);
    if (!claimed) return this.awaitOutcome(upload.id);
    let outcome: FinishOutcome;
    try {
      const video = await this.uploads.accept({ tempPath: upload.storage?.path ?? '', originalName: nameOf(upload), tenantId: claimed.tenantId });
      await this.repo.markCompleted(upload.id, video.id);
      outcome = { kind: 'video', videoId: video.id };
    } catch (err) {
      const error = err instanceof DomainError ? err : new DomainError('internal', 'The finished upload could not be stored; upload it again.');
      if (!(err instanceof DomainError)) this.logger.error({ err, uploadId: upload.id }, 'finishing a resumable upload failed');
      await this.repo.markFailed(upload.id, error.code, error.message).catch(() => {});
      outcome = { kind: 'refused', error };
    }
    await this.removeFiles(upload.id);
    return outcome;
  }

  async terminated(id: string): Promise<void> {
    await this.repo.deleteReceiving(id);
  }

  async state(id: string, tenant: TenantFilter = null): Promise<UploadState> {
    const row = await this.repo.findById(id);
    if (!row || !visibleTo(row, tenant)) throw notFound(`Upload ${id} does not exist.`, 'upload_not_found');
    const offset = row.status === 'completed' ? (row.length ?? 0) : row.status === 'receiving' ? await this.offsetOf(id) : 0;
    return {
      id: row.id,
      status: row.status,
      offset,
      length: row.length,
      originalName: row.originalName,
      videoId: row.videoId,
      error: row.errorCode ? { code: row.errorCode, detail: row.error ?? '' } : null,
      expiresAt: row.expiresAt.toISOString(),
      createdAt: row.createdAt.toISOString(),
    };
  }

  /** Removes expired unfinished uploads (their files too) and old outcomes, in bounded batches; returns how many. */
  async expire(now = new Date()): Promise<number> {
    const batchSize = this.opts.batchSize ?? 500;
    const finishedBefore = new Date(now.getTime() - this.opts.finishedRetentionMs);
    let removed = 0;
    for (;;) {
      const { unfinished, deleted } = await this.repo.deleteExpired(now, finishedBefore, batchSize);
      for (const id of unfinished) await this.removeFiles(id);
      removed += unfinished.length;
      if (deleted < batchSize) return removed;
    }
  }

  private async offsetOf(id: string): Promise<number> {
    try {
      return (await this.store.getUpload(id)).offset;
    } catch {
      return 0;
    }
  }

  private async removeFiles(id: string): Promise<void> {
    await this.store.remove(id).catch(() => this.store.configstore.delete(id).catch(() => {}));
  }

  /** A second request finishing the same upload answers what the first one decided. */
  private async awaitOutcome(id: string): Promise<FinishOutcome> {
    const deadline = Date.now() + (this.opts.finishWaitMs ?? 60_000);
    for (;;) {
      const row = await this.repo.findById(id);
      if (row?.status === 'completed' && row.videoId) return { kind: 'video', videoId: row.videoId };
      if (row?.status === 'failed') {
        const code = isErrorCode(row.errorCode) ? row.errorCode : 'internal_error';
        return { kind: 'refused', error: new DomainError(ERROR_CODES[code].kind, row.error ?? 'The upload was refused.', {}, code) };
      }
      if (!row || Date.now() > deadline) return { kind: 'refused', error: notFound(`Upload ${id} is no longer there.`, 'upload_not_found') };
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function nameOf(upload: Upload): string | null {
  const name = upload.metadata?.filename ?? upload.metadata?.name ?? null;
  return name ? name.slice(0, 255) : null;
}
