import type { JobLifecycle } from '../core/lifecycle.js';
import type { Job, TrimParams } from '../domain/job.js';

/** Records trim and concat commands: a pending job and its pending output video, nothing run. */
export class CommandService {
  constructor(private readonly lifecycle: JobLifecycle) {}

  trim(videoId: string, params: TrimParams): Promise<Job> {
    return this.lifecycle.record('trim', [videoId], params);
  }

  concat(videoIds: string[]): Promise<Job> {
    return this.lifecycle.record('concat', videoIds, {});
  }
}
