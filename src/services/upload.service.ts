import { randomUUID } from 'node:crypto';
import { extensionForContainer } from '../media/media-info.js';
import type { ProbeResult } from '../media/probe.js';
import { videoEvent } from '../core/events.js';
import type { UnitOfWork } from '../core/ports.js';
import { DomainError } from '../domain/errors.js';
import type { ProbedMetadata, Video } from '../domain/video.js';
import type { FileStorage } from '../storage/file-storage.js';
import { toProbedMetadata } from './media-metadata.js';

export type ProbeMedia = (file: string) => Promise<ProbeResult>;

export interface ReceivedFile {
  tempPath: string;
  originalName: string | null;
}

/** A received file that probed as a video: what its record will hold. */
export interface ProbedFile {
  extension: string;
  metadata: ProbedMetadata;
}

/**
 * Turns a received file (a multipart upload, a finished tus upload, a fetched import) into a probed,
 * stored video — or removes it and says why. Every way in goes through probe and publish.
 */
export class UploadService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly storage: FileStorage,
    private readonly probe: ProbeMedia,
  ) {}

  async accept(file: ReceivedFile): Promise<Video> {
    try {
      const probed = await this.probeReceived(file.tempPath);
      const id = randomUUID();
      return await this.publish(file.tempPath, `${id}.${probed.extension}`, () =>
        this.uow.run(async ({ videos, outbox }) => {
          const v = await videos.insert({
            id,
            kind: 'upload',
            status: 'ready',
            originalName: file.originalName,
            storageKey: `${id}.${probed.extension}`,
            sourceJobId: null,
            metadata: probed.metadata,
          });
          await outbox.append([videoEvent('video.created', v)]);
          return v;
        }),
      ).then((v) => v!);
    } finally {
      await this.storage.discardTemp(file.tempPath);
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
   * Moves the probed temp file into place under `key`, then runs `record`, the guarded change that
   * owns it; when that throws or does not win (undefined), the published file is removed again.
   */
  async publish<T>(tempPath: string, key: string, record: () => Promise<T | undefined>): Promise<T | undefined> {
    await this.storage.moveIntoPlace(tempPath, key);
    let owned: T | undefined;
    try {
      owned = await record();
      return owned;
    } finally {
      if (owned === undefined) await this.storage.remove(key).catch(() => {});
    }
  }
}
