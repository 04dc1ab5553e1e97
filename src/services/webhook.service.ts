import { randomUUID } from 'node:crypto';
import { notFound, validation } from '../domain/errors.js';
import type { WebhookPatch, WebhookRepository } from '../repositories/webhook.repository.js';
import { refusedLiteral } from '../webhooks/address-guard.js';
import type { WebhookDispatcher } from '../webhooks/dispatcher.js';
import { generateSecret } from '../webhooks/signing.js';
import type { Delivery, Webhook, WebhookEventType } from '../webhooks/webhook.js';

export interface NewWebhookInput {
  url: string;
  events?: WebhookEventType[];
  description?: string;
}

/** Webhook endpoints: create, change, rotate their secret, read their delivery log, replay. */
export class WebhookService {
  constructor(
    private readonly repo: WebhookRepository,
    private readonly dispatcher: WebhookDispatcher,
    private readonly allowPrivate: boolean,
  ) {}

  async create(input: NewWebhookInput): Promise<Webhook> {
    this.checkUrl(input.url);
    return this.repo.create({ id: randomUUID(), url: input.url, events: input.events ?? null, description: input.description ?? null, secret: generateSecret() });
  }

  list(): Promise<Webhook[]> {
    return this.repo.list();
  }

  async get(id: string): Promise<Webhook> {
    const w = await this.repo.findById(id);
    if (!w) throw notFound(`Webhook ${id} does not exist.`, 'webhook_not_found');
    return w;
  }

  async update(id: string, patch: WebhookPatch): Promise<Webhook> {
    if (patch.url !== undefined) this.checkUrl(patch.url);
    const w = await this.repo.update(id, patch);
    if (!w) throw notFound(`Webhook ${id} does not exist.`, 'webhook_not_found');
    return w;
  }

  async delete(id: string): Promise<void> {
    if (!(await this.repo.delete(id))) throw notFound(`Webhook ${id} does not exist.`, 'webhook_not_found');
  }

  async rotateSecret(id: string): Promise<Webhook> {
    const w = await this.repo.rotateSecret(id, generateSecret());
    if (!w) throw notFound(`Webhook ${id} does not exist.`, 'webhook_not_found');
    return w;
  }

  async deliveries(id: string, limit: number, offset: number): Promise<{ items: Delivery[]; total: number }> {
    await this.get(id);
    return this.repo.listDeliveries(id, limit, offset);
  }

  async replay(id: string, deliveryId: string): Promise<Delivery> {
    await this.get(id);
    const d = await this.dispatcher.replay(id, deliveryId);
    if (!d) throw notFound(`Delivery ${deliveryId} of webhook ${id} does not exist.`, 'delivery_not_found');
    return d;
  }

  /** The URL's own text is checked here; the address it resolves to is checked again at every delivery. */
  private checkUrl(url: string): void {
    const target = new URL(url);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw validation('A webhook URL must be http or https.', { field: 'url' }, 'webhook_url_refused');
    if (this.allowPrivate) return;
    const host = target.hostname;
    if (host === 'localhost' || host.endsWith('.localhost') || refusedLiteral(host, false)) {
      throw validation(`A webhook URL must not point at a private or loopback address (${host}); set WEBHOOK_ALLOW_PRIVATE=true to allow it.`, { field: 'url' }, 'webhook_url_refused');
    }
  }
}
