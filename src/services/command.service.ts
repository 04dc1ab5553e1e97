import type { CommandExtras, JobLifecycle } from '../core/lifecycle.js';
import type { Job, TrimParams } from '../domain/job.js';
import { checkReceiverUrl } from '../webhooks/address-guard.js';

/** Records trim and concat commands: a pending job and its pending output video, nothing run. */
export class CommandService {
  constructor(
    private readonly lifecycle: JobLifecycle,
    private readonly allowPrivateCallbacks: boolean,
  ) {}

  trim(videoId: string, params: TrimParams, extras: CommandExtras = {}): Promise<Job> {
    return this.lifecycle.record('trim', [videoId], params, this.checked(extras));
  }

  concat(videoIds: string[], extras: CommandExtras = {}): Promise<Job> {
    return this.lifecycle.record('concat', videoIds, {}, this.checked(extras));
  }

  private checked(extras: CommandExtras): CommandExtras {
    if (extras.callbackUrl) checkReceiverUrl(extras.callbackUrl, this.allowPrivateCallbacks, 'callbackUrl');
    return extras;
  }
}
