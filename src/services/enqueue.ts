import { unavailable } from '../domain/errors.js';
import type { EnqueueItem, JobQueue } from '../queue/job-queue.js';

/** Hands jobs to the queue, turning a Redis outage into a 503 the client can act on. */
export async function enqueueOrUnavailable(queue: JobQueue, items: readonly EnqueueItem[]): Promise<void> {
  try {
    await queue.enqueue(items);
  } catch (err) {
    throw unavailable(`The job queue (Redis) is unreachable: ${(err as Error).message}`);
  }
}
