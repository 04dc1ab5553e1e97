/** The events a webhook endpoint can receive; `job.progress` only when it asks for it. */
export const WEBHOOK_EVENT_TYPES = ['job.queued', 'job.started', 'job.progress', 'job.completed', 'job.failed', 'job.cancelled', 'video.ready', 'video.failed', 'video.deleted'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
// `video.failed` only when asked for: a failed output is already announced by its job's `job.failed`.
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEventType[] = WEBHOOK_EVENT_TYPES.filter((t) => t !== 'job.progress' && t !== 'video.failed');

export const isWebhookEventType = (type: string): type is WebhookEventType => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(type);

export interface Webhook {
  id: string;
  url: string;
  /** null: the default set. */
  events: WebhookEventType[] | null;
  description: string | null;
  secret: string;
  enabled: boolean;
  disabledReason: string | null;
  /** Deliveries carry only this tenant's events. */
  tenantId: string;
  createdAt: Date;
  updatedAt: Date;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface Delivery {
  id: string;
  /** null for a command's callback, which names its receiver in `callbackUrl`. */
  webhookId: string | null;
  callbackUrl: string | null;
  eventId: string;
  eventType: string;
  subjectId: string;
  eventOrder: number;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastResponse: string | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The public shape of an endpoint: never its secret, which is shown once, at creation and rotation. */
export function toWebhookResource(w: Webhook) {
  return {
    id: w.id,
    url: w.url,
    events: w.events ?? [...DEFAULT_WEBHOOK_EVENTS],
    description: w.description,
    enabled: w.enabled,
    disabledReason: w.disabledReason,
    createdAt: w.createdAt.toISOString(),
    updatedAt: w.updatedAt.toISOString(),
  };
}

export function toDeliveryResource(d: Delivery) {
  return {
    id: d.id,
    webhookId: d.webhookId,
    ...(d.webhookId === null ? { url: d.callbackUrl } : {}),
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastResponse: d.lastResponse,
    lastError: d.lastError,
    nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    createdAt: d.createdAt.toISOString(),
  };
}
