import { isRetryableJobError, type Job } from './job.js';
import type { Video } from './video.js';

/** The public shape of a Video (shared/API.md); internal columns stay out. */
export function toVideoResource(v: Video) {
  return {
    id: v.id,
    kind: v.kind,
    status: v.status,
    originalName: v.originalName,
    sizeBytes: v.sizeBytes,
    durationSec: v.durationSec,
    width: v.width,
    height: v.height,
    fps: v.fps,
    videoCodec: v.videoCodec,
    audioCodec: v.audioCodec,
    container: v.container,
    sourceJobId: v.sourceJobId,
    downloadUrl: v.status === 'ready' ? `/api/videos/${v.id}/download` : null,
    metadata: v.clientMetadata ?? {},
    source: v.sourceUrl ? { url: v.sourceUrl } : null,
    error: v.error ?? null,
    errorCode: v.errorCode ?? null,
    createdAt: v.createdAt.toISOString(),
    updatedAt: v.updatedAt.toISOString(),
  };
}

/**
 * The public shape of a Job (shared/API.md), plus `method` (which FFmpeg path produced the output),
 * `errorCode`/`retryable` beside `error`, and `result`, what a completed job's output achieved.
 */
export function toJobResource(j: Job) {
  return {
    id: j.id,
    type: j.type,
    status: j.status,
    params: j.params,
    inputVideoIds: j.inputVideoIds,
    outputVideoId: j.outputVideoId,
    dependsOn: j.dependsOn,
    progress: Math.round(j.progress * 10) / 10,
    attempts: j.attempts,
    error: j.error,
    errorCode: j.errorCode ?? null,
    retryable: j.errorCode ? isRetryableJobError(j.errorCode) : null,
    method: j.method,
    result: j.result ?? null,
    metadata: j.clientMetadata ?? {},
    callbackUrl: j.callbackUrl ?? null,
    createdAt: j.createdAt.toISOString(),
    queuedAt: j.queuedAt?.toISOString() ?? null,
    startedAt: j.startedAt?.toISOString() ?? null,
    finishedAt: j.finishedAt?.toISOString() ?? null,
  };
}

export type VideoResource = ReturnType<typeof toVideoResource>;
export type JobResource = ReturnType<typeof toJobResource>;
