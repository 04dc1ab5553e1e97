/**
 * The API's resources, as ../shared/API.md describes them.
 * @typedef {{ id: string, kind: 'upload' | 'trim' | 'concat', status: 'pending' | 'processing' | 'ready' | 'failed',
 *   originalName: string | null, sizeBytes: number | null, durationSec: number | null, width: number | null,
 *   height: number | null, fps: number | null, videoCodec: string | null, audioCodec: string | null,
 *   container: string | null, sourceJobId: string | null, downloadUrl: string | null, createdAt: string, updatedAt: string }} Video
 * @typedef {{ id: string, type: 'trim' | 'concat',
 *   status: 'pending' | 'queued' | 'in_progress' | 'completed' | 'failed' | 'cancelled',
 *   params: { start?: number, end?: number, mode?: 'accurate' | 'copy' }, inputVideoIds: string[], outputVideoId: string,
 *   dependsOn: string[], progress: number, attempts: number, error: string | null, method: string | null,
 *   createdAt: string, queuedAt: string | null, startedAt: string | null, finishedAt: string | null }} Job
 */
export {};
