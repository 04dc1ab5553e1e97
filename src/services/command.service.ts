import type { CommandExtras, JobLifecycle } from '../core/lifecycle.js';
import type { Job, TrimParams } from '../domain/job.js';
import { checkReceiverUrl } from '../webhooks/address-guard.js';
import type { Tenancy } from '../core/lifecycle.js';
import type { VideoStore } from '../core/ports.js';
import type { StorageQuota } from './storage-quota.js';

/** Records trim and concat commands: a pending job and its pending output video, nothing run. */
export class CommandService {
  constructor(
    private readonly lifecycle: JobLifecycle,
    private readonly quota?: { videos: Pick<VideoStore, 'tenantUsage'>; limit: StorageQuota },
    private readonly allowPrivateCallbacks = false,
  ) {}

  async trim(videoId: string, params: TrimParams, extras: CommandExtras = {}, tenancy?: Tenancy): Promise<Job> {
    await this.ensureRoom(tenancy);
    return this.lifecycle.record('trim', [videoId], params, this.checked(extras), tenancy);
  }

  /** Only videos the caller may see can be inputs: another tenant's id is unknown (404). */
  async concat(videoIds: string[], extras: CommandExtras = {}, tenancy?: Tenancy): Promise<Job> {
    await this.ensureRoom(tenancy);
    return this.lifecycle.record('concat', videoIds, {}, this.checked(extras), tenancy);
  }

  private checked(extras: CommandExtras): CommandExtras {
    if (extras.callbackUrl) checkReceiverUrl(extras.callbackUrl, this.allowPrivateCallbacks, 'callbackUrl');
    return extras;
  }

  /** A tenant whose videos already fill its quota records no command that would make another. */
  private async ensureRoom(tenancy: Tenancy | undefined): Promise<void> {
    if (this.quota && tenancy) await this.quota.limit.ensureRoom(this.quota.videos, tenancy.owner, 0);
  }
}
