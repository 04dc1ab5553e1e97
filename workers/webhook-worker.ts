import { Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { DeliveryPayload } from '../src/queue/webhook-queue.js';
import { createRedis } from '../src/queue/redis-connection.js';
import type { WebhookDispatcher } from '../src/webhooks/dispatcher.js';

const CONCURRENCY = 8;

/** BullMQ glue for webhook deliveries: each queue entry is one attempt, decided and logged by the dispatcher. */
export function startWebhookWorker(queueName: string, redisUrl: string, dispatcher: WebhookDispatcher, logger: Logger): { close(): Promise<void> } {
  const connection = createRedis(redisUrl, 'worker');
  connection.on('error', () => {});
  const worker = new Worker<DeliveryPayload>(queueName, (job) => dispatcher.deliver(job.data.deliveryId), {
    connection,
    concurrency: CONCURRENCY,
    autorun: true,
  });
  worker.on('error', (err) => logger.warn({ err: err.message }, 'webhook worker connection error'));
  return {
    async close() {
      await worker.close();
      connection.disconnect();
    },
  };
}
