import { randomUUID } from 'node:crypto';
import { extensionForContainer } from '../media/media-info.js';
import type { ProbeResult } from '../media/probe.js';
import { videoEvent } from '../core/events.js';
import type { UnitOfWork } from '../core/ports.js';
import { DomainError } from '../domain/errors.js';
import type { Video } from '../domain/video.js';
import type { FileStorage } from '../storage/file-storage.js';
import { DEFAULT_TENANT } from '../domain/tenant.js';
import { toProbedMetadata } from './media-metadata.js';
import { StorageQuota } from './storage-quota.js';

export type ProbeMedia = (file: string) => Promise<ProbeResult>;

export interface ReceivedFile {
  tempPath: string;
  originalName: string | null;
  /** The uploader's tenant (absent: the default one). */
  tenantId?: string;
}

/** Turns a file multer has streamed to tmp/ into a probed, stored video — or removes it and says why. */
export class UploadService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly storage: FileStorage,
    private readonly probe: ProbeMedia,
    private readonly quota: StorageQuota = new StorageQuota(undefined),
  ) {}

  async accept(file: ReceivedFile): Promise<Video> {
    let stored: string | undefined;
    try {
      const result = await this.probe(file.tempPath);
      if (!result.ok) {
        throw new DomainError('unsupported_media_type', `The uploaded file is not a video FFmpeg can use: ${result.reason}.`, {}, 'unsupported_media');
      }
      const id = randomUUID();
      const key = `${id}.${extensionForContainer(result.info.container)}`;
      await this.storage.moveIntoPlace(file.tempPath, key);
      stored = key;
      const tenantId = file.tenantId ?? DEFAULT_TENANT;
      const video = await this.uow.run(async ({ videos, outbox }) => {
        await this.quota.ensureRoom(videos, tenantId, result.info.sizeBytes, true);
        const v = await videos.insert({
          id,
          kind: 'upload',
          status: 'ready',
          originalName: file.originalName,
          storageKey: key,
          sourceJobId: null,
          metadata: toProbedMetadata(result.info),
          tenantId,
        });
        await outbox.append([videoEvent('video.created', v)]);
        return v;
      });
      stored = undefined;
      return video;
    } finally {
      await this.storage.discardTemp(file.tempPath);
      if (stored) await this.storage.remove(stored).catch(() => {});
    }
  }
}
