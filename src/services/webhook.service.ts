import { randomUUID } from 'node:crypto';
import { notFound } from '../domain/errors.js';
import { visibleTo, type TenantFilter } from '../domain/tenant.js';
import type { WebhookPatch, WebhookRepository } from '../repositories/webhook.repository.js';
import { checkReceiverUrl } from '../webhooks/address-guard.js';
import type { WebhookDispatcher } from '../webhooks/dispatcher.js';
import { generateSecret } from '../webhooks/signing.js';
import type { Delivery, Webhook, WebhookEventType } from '../webhooks/webhook.js';

export interface NewWebhookInput {
  url: string;
  events?: WebhookEventType[];
  description?: string;
  /** The endpoint's id, chosen by the caller (an Idempotency-Key's): when that endpoint exists, it is the answer. */
  id?: string;
}

/** Webhook endpoints: create, change, rotate their secret, read their delivery log, replay. */
export class WebhookService {
  constructor(
    private readonly repo: WebhookRepository,
    private readonly dispatcher: WebhookDispatcher,
    private readonly allowPrivate: boolean,
  ) {}

  /** The endpoint receives the events of `tenantId` only. */
  async create(input: NewWebhookInput, tenantId?: string): Promise<Webhook> {
    this.checkUrl(input.url);
    const earlier = input.id ? await this.repo.findById(input.id) : undefined;
    if (earlier) return earlier;
    return this.repo.create({ id: input.id ?? randomUUID(), url: input.url, events: input.events ?? null, description: input.description ?? null, secret: generateSecret(), tenantId });
  }

  list(tenant: TenantFilter = null): Promise<Webhook[]> {
    return this.repo.list(tenant);
  }

  /** Another tenant's endpoint is unknown to the caller: 404, never 403. */
  async get(id: string, tenant: TenantFilter = null): Promise<Webhook> {
    const w = await this.repo.findById(id);
    if (!w || !visibleTo(w, tenant)) throw notFound(`Webhook ${id} does not exist.`, 'webhook_not_found');
    return w;
  }

  async update(id: string, patch: WebhookPatch, tenant: TenantFilter = null): Promise<Webhook> {
    if (patch.url !== undefined) this.checkUrl(patch.url);
    await this.get(id, tenant);
    const w = await this.repo.update(id, patch);
    if (!w) throw notFound(`Webhook ${id} does not exist.`, 'webhook_not_found');
    return w;
  }

  async delete(id: string, tenant: TenantFilter = null): Promise<void> {
    await this.get(id, tenant);
    if (!(await this.repo.delete(id))) throw notFound(`Webhook ${id} does not exist.`, 'webhook_not_found');
  }

  async rotateSecret(id: string, tenant: TenantFilter = null): Promise<Webhook> {
    await this.get(id, tenant);
    const w = await this.repo.rotateSecret(id, generateSecret());
    if (!w) throw notFound(`Webhook ${id} does not exist.`, 'webhook_not_found');
    return w;
  }

  async deliveries(id: string, limit: number, offset: number, tenant: TenantFilter = null): Promise<{ items: Delivery[]; total: number }> {
    await this.get(id, tenant);
    return this.repo.listDeliveries(id, limit, offset);
  }

  async replay(id: string, deliveryId: string, tenant: TenantFilter = null): Promise<Delivery> {
    await this.get(id, tenant);
    const d = await this.dispatcher.replay(id, deliveryId);
    if (!d) throw notFound(`Delivery ${deliveryId} of webhook ${id} does not exist.`, 'delivery_not_found');
    return d;
  }

  /** The callback deliveries about a job (`subjectIds`: the job and its output video). */
  callbackDeliveries(subjectIds: readonly string[], limit: number, offset: number): Promise<{ items: Delivery[]; total: number }> {
    return this.repo.listCallbackDeliveries(subjectIds, limit, offset);
  }

  async replayCallback(subjectIds: readonly string[], deliveryId: string): Promise<Delivery> {
    const d = await this.dispatcher.replayCallback(subjectIds, deliveryId);
    if (!d) throw notFound(`Callback delivery ${deliveryId} of job ${subjectIds[0]} does not exist.`, 'delivery_not_found');
    return d;
  }

  /** The URL's own text is checked here; the address it resolves to is checked again at every delivery. */
  private checkUrl(url: string): void {
    checkReceiverUrl(url, this.allowPrivate, 'url');
  }
}
