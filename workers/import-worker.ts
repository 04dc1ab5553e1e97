import { Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { ImportPayload } from '../src/queue/import-queue.js';
import { createRedis } from '../src/queue/redis-connection.js';
import type { UrlImportService } from '../src/services/url-import.service.js';

const CONCURRENCY = 2;

/**
 * BullMQ glue for imports from a URL: each delivery is one attempt; a retryable failure thrown by
 * the service is retried with the queue's backoff, and the last attempt decides the video's fate.
 */
export function startImportWorker(queueName: string, redisUrl: string, imports: UrlImportService, logger: Logger): { close(graceMs?: number): Promise<void> } {
  const connection = createRedis(redisUrl, 'worker');
  connection.on('error', () => {});
  const shutdown = new AbortController();
  const worker = new Worker<ImportPayload>(
    queueName,
    async (job) => {
      const attempt = job.attemptsMade + 1;
      const outcome = await imports.run({ videoId: job.data.videoId, attempt, last: attempt >= (job.opts.attempts ?? 1), signal: shutdown.signal });
      logger.info({ videoId: job.data.videoId, attempt, outcome }, 'import handled');
      return outcome;
    },
    { connection, concurrency: CONCURRENCY, autorun: true },
  );
  worker.on('error', (err) => logger.warn({ err: err.message }, 'import worker connection error'));
  return {
    async close(graceMs = 5_000) {
      const closing = worker.close();
      const timer = setTimeout(() => shutdown.abort(), graceMs);
      timer.unref();
      await closing;
      clearTimeout(timer);
      connection.disconnect();
    },
  };
}
