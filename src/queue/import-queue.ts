import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export interface ImportPayload {
  videoId: string;
}

export const importQueueName = (jobQueueName: string): string => `${jobQueueName}-imports`;

export interface ImportQueueOptions {
  attempts: number;
  backoffMs?: number;
}

/** Transport for imports from a URL: the video id only; the video row is the truth. */
export class ImportQueue {
  private readonly queue: Queue<ImportPayload>;

  constructor(
    readonly name: string,
    connection: Redis,
    private readonly opts: ImportQueueOptions,
  ) {
    this.queue = new Queue<ImportPayload>(name, { connection, skipWaitingForReady: true });
    this.queue.on('error', () => {});
  }

  /** One entry per video: a second hand-off of the same import (the relay is at-least-once) adds nothing. */
  async add(videoIds: readonly string[]): Promise<void> {
    if (videoIds.length === 0) return;
    await this.queue.addBulk(
      videoIds.map((videoId) => ({
        name: 'import',
        data: { videoId },
        opts: {
          jobId: `import-${videoId}`,
          attempts: this.opts.attempts,
          backoff: { type: 'exponential', delay: this.opts.backoffMs ?? 2_000 },
          removeOnComplete: true,
          removeOnFail: true,
        },
      })),
    );
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
