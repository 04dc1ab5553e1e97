import type { JobLifecycle, Tenancy } from '../core/lifecycle.js';
import type { Job, TrimParams } from '../domain/job.js';
import type { ClientMetadata } from '../domain/metadata.js';

/** Records trim and concat commands: a pending job and its pending output video, nothing run. */
export class CommandService {
  constructor(private readonly lifecycle: JobLifecycle) {}

  trim(videoId: string, params: TrimParams, metadata: ClientMetadata | null = null, tenancy?: Tenancy): Promise<Job> {
    return this.lifecycle.record('trim', [videoId], params, metadata, tenancy);
  }

  /** Only videos the caller may see can be inputs: another tenant's id is unknown (404). */
  concat(videoIds: string[], metadata: ClientMetadata | null = null, tenancy?: Tenancy): Promise<Job> {
    return this.lifecycle.record('concat', videoIds, {}, metadata, tenancy);
  }
}
