import type { Job } from '../domain/job.js';
import { toJobResource, toVideoResource } from '../domain/representation.js';
import type { Video } from '../domain/video.js';
import type { EventBus } from '../events/event-bus.js';

/** Tells listeners (SSE clients, metrics, other processes) that jobs or videos changed. */
export class Notifier {
  constructor(private readonly bus: EventBus | undefined) {}

  jobs(jobs: readonly (Job | undefined)[]): void {
    for (const j of jobs) if (j) this.bus?.publish({ type: 'job', data: toJobResource(j) });
  }

  videos(videos: readonly (Video | undefined)[]): void {
    for (const v of videos) if (v) this.bus?.publish({ type: 'video', data: toVideoResource(v) });
  }
}
