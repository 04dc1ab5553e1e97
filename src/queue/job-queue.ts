import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobType } from '../domain/job.js';

export interface QueuePayload {
  jobId: string;
}

export interface EnqueueItem {
  id: string;
  type: JobType;
}

/** BullMQ ids are deterministic so that a second enqueue of a waiting job is a no-op. */
export const bullJobId = (jobId: string): string => `job-${jobId}`;

export interface JobQueueOptions {
  attempts: number;
  backoffMs?: number;
}

/** The queue is transport only: it carries job ids; the database row is the truth. */
export class JobQueue {
  private readonly queue: Queue<QueuePayload>;

  constructor(
    readonly name: string,
    private readonly connection: Redis,
    private readonly opts: JobQueueOptions,
  ) {
    this.queue = new Queue<QueuePayload>(name, { connection, skipWaitingForReady: true });
    // A producer must never crash the process on a connection error; callers see the failed command.
    this.queue.on('error', () => {});
  }

  async enqueue(items: readonly EnqueueItem[]): Promise<void> {
    if (items.length === 0) return;
    await this.queue.addBulk(
      items.map((j) => ({
        name: j.type,
        data: { jobId: j.id },
        opts: {
          jobId: bullJobId(j.id),
          attempts: this.opts.attempts,
          backoff: { type: 'exponential', delay: this.opts.backoffMs ?? 2_000 },
          removeOnComplete: true,
          removeOnFail: true,
        },
      })),
    );
  }

  /** Drops a waiting or delayed copy of the job; an active one is stopped by its worker instead. */
  async discard(jobId: string): Promise<void> {
    await this.queue.remove(bullJobId(jobId)).catch(() => 0);
  }

  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed');
  }

  async ping(): Promise<void> {
    await this.connection.ping();
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
