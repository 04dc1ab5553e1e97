import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';

export interface ServiceEvent {
  type: 'job' | 'video';
  data: Record<string, unknown>;
}

/**
 * Job and video changes cross processes (API ↔ workers) over one Redis pub/sub channel;
 * inside a process they fan out to SSE clients and metrics through an EventEmitter.
 */
export class EventBus {
  private readonly local = new EventEmitter();
  private subscriber: Redis | undefined;

  constructor(
    private readonly channel: string,
    private readonly publisher: Redis,
  ) {
    this.local.setMaxListeners(0);
  }

  /** Best effort: a lost event never fails the change it describes. */
  publish(event: ServiceEvent): void {
    this.publisher.publish(this.channel, JSON.stringify(event)).catch(() => {});
  }

  async listen(subscriber: Redis): Promise<void> {
    this.subscriber = subscriber;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      try {
        this.local.emit('event', JSON.parse(message) as ServiceEvent);
      } catch {
        // A malformed message from another process is dropped, never fatal.
      }
    });
    subscriber.on('error', () => {});
    await subscriber.subscribe(this.channel);
  }

  on(listener: (e: ServiceEvent) => void): () => void {
    this.local.on('event', listener);
    return () => this.local.off('event', listener);
  }

  async close(): Promise<void> {
    if (this.subscriber) this.subscriber.disconnect();
  }
}
