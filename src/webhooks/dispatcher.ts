import type { Logger } from 'pino';
import type { WebhookQueue } from '../queue/webhook-queue.js';
import type { OutboxRow } from '../repositories/outbox.repository.js';
import type { WebhookRepository } from '../repositories/webhook.repository.js';
import { send, type SendResult } from './sender.js';
import { signatureHeaders } from './signing.js';
import { isWebhookEventType, type Delivery } from './webhook.js';

export interface DispatcherOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  /** The first retry waits this long, each next one twice as long (at most an hour). */
  retryBaseMs: number;
  /** A delivery still failing this long after its event is given up. */
  maxAgeMs: number;
  /** Signs the deliveries to commands' `callbackUrl`s (the endpoints have secrets of their own). */
  callbackSecret: string;
}

const MAX_BACKOFF_MS = 3_600_000;
// An event of a subject waits for the earlier ones to the same endpoint; it looks again after this.
const ORDER_WAIT_MS = 200;

/**
 * Webhooks: outbox events become deliveries (one per endpoint that wants the event), and each
 * delivery is sent, signed, retried with backoff and logged. At least once, in order per subject.
 */
export class WebhookDispatcher {
  constructor(
    private readonly repo: WebhookRepository,
    private readonly queue: WebhookQueue,
    private readonly logger: Logger,
    private readonly opts: DispatcherOptions,
  ) {}

  /** Called by the outbox relay with the events it claimed; a second call with the same events adds nothing. */
  async fanOut(rows: readonly OutboxRow[]): Promise<void> {
    const events = rows
      .filter((r) => isWebhookEventType(r.type))
      .map((r) => ({
        eventId: r.eventId,
        type: r.type,
        subjectId: r.subjectId,
        order: r.id,
        tenantId: r.tenantId,
        body: JSON.stringify({ id: r.eventId, type: r.type, createdAt: r.createdAt.toISOString(), data: r.payload }),
      }));
    const created = await this.repo.fanOut(events);
    await this.queue.add(created.map((d) => ({ deliveryId: d.id, key: '0' })));
  }

  /** One attempt of a delivery, as its queue entry asks. */
  async deliver(deliveryId: string): Promise<void> {
    const d = await this.repo.findDelivery(deliveryId);
    if (!d || d.status !== 'pending') return;
    const receiver = await this.receiverOf(d);
    if (!receiver) return;
    if ('disabled' in receiver) {
      await this.repo.recordAttempt(d, { status: 'failed', statusCode: null, response: null, error: `the endpoint is disabled: ${receiver.disabled}`, nextAttemptAt: null });
      return;
    }
    const earlier = await this.repo.earlierPending(d);
    if (earlier) {
      const until = new Date(Math.max(Date.now(), earlier.nextAttemptAt?.getTime() ?? 0) + ORDER_WAIT_MS);
      await this.repo.postpone(d, until);
      await this.queue.add([{ deliveryId: d.id, key: `${d.attempts}-w${until.getTime()}`, delayMs: until.getTime() - Date.now() }]);
      return;
    }
    const result = await send(receiver.url, signatureHeaders(receiver.secret, d.eventId, d.body), d.body, {
      timeoutMs: this.opts.timeoutMs,
      allowPrivate: this.opts.allowPrivate,
    });
    await this.record(d, result);
  }

  private async receiverOf(d: Delivery): Promise<{ url: string; secret: string } | { disabled: string } | undefined> {
    if (d.webhookId === null) return d.callbackUrl ? { url: d.callbackUrl, secret: this.opts.callbackSecret } : undefined;
    const endpoint = await this.repo.findById(d.webhookId);
    if (!endpoint) return undefined;
    return endpoint.enabled ? endpoint : { disabled: endpoint.disabledReason ?? 'by its owner' };
  }

  private async record(d: Delivery, result: SendResult): Promise<void> {
    const statusCode = 'statusCode' in result ? result.statusCode : null;
    const response = 'body' in result ? result.body : null;
    const error = 'error' in result ? result.error : statusCode !== null && (statusCode < 200 || statusCode >= 300) ? `the receiver answered ${statusCode}` : null;
    if (statusCode !== null && statusCode >= 200 && statusCode < 300) {
      await this.repo.recordAttempt(d, { status: 'delivered', statusCode, response, error: null, nextAttemptAt: null });
      return;
    }
    if (statusCode === 410) {
      const endpoint = d.webhookId;
      await this.repo.recordAttempt(d, { status: 'failed', statusCode, response, error: `the receiver answered 410 Gone${endpoint ? ': the endpoint is disabled' : ''}`, nextAttemptAt: null });
      if (endpoint) await this.repo.disable(endpoint, 'the receiver answered 410 Gone');
      return;
    }
    const delayMs = Math.min(MAX_BACKOFF_MS, this.opts.retryBaseMs * 2 ** d.attempts) * (0.9 + Math.random() * 0.2);
    const next = new Date(Date.now() + delayMs);
    const expired = next.getTime() - d.createdAt.getTime() > this.opts.maxAgeMs;
    const recorded = await this.repo.recordAttempt(d, { status: expired ? 'failed' : 'pending', statusCode, response, error, nextAttemptAt: expired ? null : next });
    if (recorded && !expired) await this.queue.add([{ deliveryId: d.id, key: String(recorded.attempts), delayMs }]);
    this.logger.info({ deliveryId: d.id, webhookId: d.webhookId, attempts: d.attempts + 1, statusCode, error, givenUp: expired }, 'webhook delivery attempt failed');
  }

  /** Re-adds pending deliveries whose queue entry Redis lost. */
  async requeueOverdue(limit = 500): Promise<number> {
    const overdue = await this.repo.findOverdue(30_000, limit);
    await this.queue.add(overdue.map((d) => ({ deliveryId: d.id, key: `${d.attempts}-r${Date.now()}` })));
    return overdue.length;
  }

  async replay(webhookId: string, deliveryId: string): Promise<Delivery | undefined> {
    return this.requeueReplayed(await this.repo.replay(webhookId, deliveryId));
  }

  /** Replays a callback delivery about one of `subjectIds` (a job and its output video). */
  async replayCallback(subjectIds: readonly string[], deliveryId: string): Promise<Delivery | undefined> {
    return this.requeueReplayed(await this.repo.replayCallback(subjectIds, deliveryId));
  }

  private async requeueReplayed(d: Delivery | undefined): Promise<Delivery | undefined> {
    if (d) await this.queue.add([{ deliveryId: d.id, key: `${d.attempts}-replay${Date.now()}` }]);
    return d;
  }
}
