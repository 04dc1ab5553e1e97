import { randomUUID } from 'node:crypto';
import { extensionForContainer } from '../media/media-info.js';
import type { ProbeResult } from '../media/probe.js';
import { videoEvent } from '../core/events.js';
import type { UnitOfWork } from '../core/ports.js';
import { DomainError } from '../domain/errors.js';
import type { ProbedMetadata, Video } from '../domain/video.js';
import type { Storage } from '../storage/open-storage.js';
import { DEFAULT_TENANT } from '../domain/tenant.js';
import { toProbedMetadata } from './media-metadata.js';
import { StorageQuota } from './storage-quota.js';

export type ProbeMedia = (file: string) => Promise<ProbeResult>;

export interface ReceivedFile {
  tempPath: string;
  originalName: string | null;
  /** The video's id, chosen by the caller (an Idempotency-Key's): when that video exists, it is the answer. */
  id?: string;
  /** The uploader's tenant (absent: the default one). */
  tenantId?: string;
}

/** A received file that probed as a video: what its record will hold. */
export interface ProbedFile {
  extension: string;
  metadata: ProbedMetadata;
}

/**
 * Turns a received file (a multipart upload, a finished tus upload, a fetched import) into a probed,
 * stored video — or removes it and says why. Every way in goes through probe (on the local file)
 * and publish (a put into the store).
 */
export class UploadService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly storage: Pick<Storage, 'blobs' | 'scratch'>,
    private readonly probe: ProbeMedia,
    private readonly quota: StorageQuota = new StorageQuota(undefined),
  ) {}

  async accept(file: ReceivedFile): Promise<Video> {
    try {
      const earlier = file.id ? await this.uow.read.videos.findById(file.id) : undefined;
      if (earlier) return earlier;
      const probed = await this.probeReceived(file.tempPath);
      const id = file.id ?? randomUUID();
      const key = `${id}.${probed.extension}`;
      const tenantId = file.tenantId ?? DEFAULT_TENANT;
      const video = await this.publish(file.tempPath, key, () =>
        this.uow.run(async ({ videos, outbox }) => {
          await this.quota.ensureRoom(videos, tenantId, probed.metadata.sizeBytes ?? 0, true);
          const v = await videos.insert({ id, kind: 'upload', status: 'ready', originalName: file.originalName, storageKey: key, sourceJobId: null, metadata: probed.metadata, tenantId });
          await outbox.append([videoEvent('video.created', v)]);
          return v;
        }),
      );
      return video!;
    } finally {
      await this.storage.scratch.discardTemp(file.tempPath);
    }
  }

  /** Probes a received file; 415 (`unsupported_media`) when it is not a video FFmpeg can use. */
  async probeReceived(tempPath: string): Promise<ProbedFile> {
    const result = await this.probe(tempPath);
    if (!result.ok) {
      throw new DomainError('unsupported_media_type', `The uploaded file is not a video FFmpeg can use: ${result.reason}.`, {}, 'unsupported_media');
    }
    return { extension: extensionForContainer(result.info.container), metadata: toProbedMetadata(result.info) };
  }

  /**
   * Puts the probed local file into the store under `key`, then runs `record`, the guarded change
   * that owns it; when that throws or does not win (undefined), the stored object is removed again.
   */
  async publish<T>(tempPath: string, key: string, record: () => Promise<T | undefined>): Promise<T | undefined> {
    await this.storage.blobs.put(tempPath, key);
    let owned: T | undefined;
    try {
      owned = await record();
      return owned;
    } finally {
      if (owned === undefined) await this.storage.blobs.remove(key).catch(() => {});
    }
  }
}
