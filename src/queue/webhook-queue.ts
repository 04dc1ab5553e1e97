import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export interface DeliveryPayload {
  deliveryId: string;
}

export const webhookQueueName = (jobQueueName: string): string => `${jobQueueName}-webhooks`;

/** Transport for webhook deliveries: ids only; the delivery row is the truth. */
export class WebhookQueue {
  private readonly queue: Queue<DeliveryPayload>;

  constructor(
    readonly name: string,
    connection: Redis,
  ) {
    this.queue = new Queue<DeliveryPayload>(name, { connection, skipWaitingForReady: true });
    this.queue.on('error', () => {});
  }

  /** One queue entry per delivery attempt: `key` (the attempt, or a replay's) keeps it apart from the last entry. */
  async add(items: readonly { deliveryId: string; key: string; delayMs?: number }[]): Promise<void> {
    if (items.length === 0) return;
    await this.queue.addBulk(
      items.map((i) => ({
        name: 'deliver',
        data: { deliveryId: i.deliveryId },
        opts: { jobId: `delivery-${i.deliveryId}-${i.key}`, delay: Math.max(0, i.delayMs ?? 0), removeOnComplete: true, removeOnFail: true, attempts: 1 },
      })),
    );
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
