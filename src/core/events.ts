import { toJobResource, toVideoResource } from '../domain/representation.js';
import type { Job } from '../domain/job.js';
import type { Video } from '../domain/video.js';
import { isWebhookEventType } from '../webhooks/webhook.js';
import type { EventType, NewEvent } from './ports.js';

type JobEventType = Extract<EventType, `job.${string}`>;
type VideoEventType = Extract<EventType, `video.${string}`>;

// The relay hands these over: a runnable job to the queue, an import to the import queue, the rest to webhook endpoints.
const dispatched = (type: EventType) => type === 'job.runnable' || type === 'video.import_requested' || isWebhookEventType(type);

/** The event announcing a job change; its payload is the Job as the API returns it. */
export function jobEvent(type: JobEventType, job: Job): NewEvent {
  return { type, subject: 'job', subjectId: job.id, seq: job.eventSeq, payload: toJobResource(job), dispatch: dispatched(type), tenantId: job.tenantId };
}

export function videoEvent(type: VideoEventType, video: Video): NewEvent {
  return { type, subject: 'video', subjectId: video.id, seq: video.eventSeq, payload: toVideoResource(video), dispatch: dispatched(type), tenantId: video.tenantId };
}

/** The video event that a status change of an output means. */
export function videoStatusEvent(video: Video): NewEvent {
  const type: VideoEventType =
    video.status === 'ready' ? 'video.ready' : video.status === 'failed' ? 'video.failed' : video.status === 'processing' ? 'video.processing' : 'video.created';
  return videoEvent(type, video);
}
