import type { JobLifecycle, Tenancy } from '../core/lifecycle.js';
import type { Job, TrimParams } from '../domain/job.js';
import type { ClientMetadata } from '../domain/metadata.js';
import type { VideoStore } from '../core/ports.js';
import type { StorageQuota } from './storage-quota.js';

/** Records trim and concat commands: a pending job and its pending output video, nothing run. */
export class CommandService {
  constructor(
    private readonly lifecycle: JobLifecycle,
    private readonly quota?: { videos: Pick<VideoStore, 'tenantUsage'>; limit: StorageQuota },
  ) {}

  async trim(videoId: string, params: TrimParams, metadata: ClientMetadata | null = null, tenancy?: Tenancy): Promise<Job> {
    await this.ensureRoom(tenancy);
    return this.lifecycle.record('trim', [videoId], params, metadata, tenancy);
  }

  /** Only videos the caller may see can be inputs: another tenant's id is unknown (404). */
  async concat(videoIds: string[], metadata: ClientMetadata | null = null, tenancy?: Tenancy): Promise<Job> {
    await this.ensureRoom(tenancy);
    return this.lifecycle.record('concat', videoIds, {}, metadata, tenancy);
  }

  /** A tenant whose videos already fill its quota records no command that would make another. */
  private async ensureRoom(tenancy: Tenancy | undefined): Promise<void> {
    if (this.quota && tenancy) await this.quota.limit.ensureRoom(this.quota.videos, tenancy.owner, 0);
  }
}
