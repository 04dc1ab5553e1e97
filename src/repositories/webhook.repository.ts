import type { Queryable } from '../db/sql-client.js';
import { DEFAULT_WEBHOOK_EVENTS, type Delivery, type DeliveryStatus, type Webhook, type WebhookEventType } from '../webhooks/webhook.js';

import { DEFAULT_TENANT, type TenantFilter } from '../domain/tenant.js';

export interface NewWebhook {
  id: string;
  url: string;
  events: WebhookEventType[] | null;
  description: string | null;
  secret: string;
  tenantId?: string;
}

export interface WebhookPatch {
  url?: string;
  events?: WebhookEventType[] | null;
  description?: string | null;
  enabled?: boolean;
}

/** An event to fan out to the endpoints that want it. */
export interface FanOutEvent {
  eventId: string;
  type: string;
  subjectId: string;
  order: number;
  body: string;
  /** Only this tenant's endpoints get the event. */
  tenantId: string;
}

export interface AttemptRecord {
  status: DeliveryStatus;
  statusCode: number | null;
  response: string | null;
  error: string | null;
  nextAttemptAt: Date | null;
}

/** The only SQL for webhook endpoints and their delivery log. */
export class WebhookRepository {
  constructor(private readonly sql: Queryable) {}

  async create(w: NewWebhook): Promise<Webhook> {
    const [row] = await this.sql<Webhook[]>`
      INSERT INTO webhooks (id, url, events, description, secret, tenant_id)
      VALUES (${w.id}, ${w.url}, ${w.events}, ${w.description}, ${w.secret}, ${w.tenantId ?? DEFAULT_TENANT}) RETURNING *`;
    return row!;
  }

  async findById(id: string): Promise<Webhook | undefined> {
    const [row] = await this.sql<Webhook[]>`SELECT * FROM webhooks WHERE id = ${id}`;
    return row;
  }

  async list(tenant: TenantFilter = null): Promise<Webhook[]> {
    return this.sql<Webhook[]>`SELECT * FROM webhooks WHERE (${tenant}::text IS NULL OR tenant_id = ${tenant}) ORDER BY created_at DESC, id DESC`;
  }

  async update(id: string, p: WebhookPatch): Promise<Webhook | undefined> {
    const [row] = await this.sql<Webhook[]>`
      UPDATE webhooks SET
        url = COALESCE(${p.url ?? null}, url),
        events = CASE WHEN ${p.events !== undefined} THEN ${p.events ?? null}::text[] ELSE events END,
        description = CASE WHEN ${p.description !== undefined} THEN ${p.description ?? null} ELSE description END,
        enabled = COALESCE(${p.enabled ?? null}, enabled),
        disabled_reason = CASE WHEN ${p.enabled === true} THEN NULL ELSE disabled_reason END,
        updated_at = now()
      WHERE id = ${id} RETURNING *`;
    return row;
  }

  async rotateSecret(id: string, secret: string): Promise<Webhook | undefined> {
    const [row] = await this.sql<Webhook[]>`UPDATE webhooks SET secret = ${secret}, updated_at = now() WHERE id = ${id} RETURNING *`;
    return row;
  }

  async disable(id: string, reason: string): Promise<void> {
    await this.sql`UPDATE webhooks SET enabled = false, disabled_reason = ${reason}, updated_at = now() WHERE id = ${id}`;
  }

  async delete(id: string): Promise<boolean> {
    const rows = await this.sql`DELETE FROM webhooks WHERE id = ${id} RETURNING id`;
    return rows.length > 0;
  }

  /**
   * One delivery per event and enabled endpoint that wants it, and one per event of a job (or of
   * its output video) recorded with a `callbackUrl`; a second fan-out of an event adds none.
   */
  async fanOut(events: readonly FanOutEvent[]): Promise<Delivery[]> {
    if (events.length === 0) return [];
    const unnested = () => this.sql`
      unnest(${events.map((e) => e.eventId)}::uuid[], ${events.map((e) => e.type)}::text[], ${events.map((e) => e.subjectId)}::uuid[],
        ${events.map((e) => e.order)}::bigint[], ${events.map((e) => e.body)}::text[], ${events.map((e) => e.tenantId)}::text[])
        AS e(event_id, type, subject_id, ord, body, tenant_id)`;
    const toEndpoints = await this.sql<Delivery[]>`
      INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, subject_id, event_order, body, status, next_attempt_at)
      SELECT gen_random_uuid(), w.id, e.event_id, e.type, e.subject_id, e.ord, e.body, 'pending', now()
      FROM ${unnested()}
      JOIN webhooks w ON w.enabled AND w.tenant_id = e.tenant_id AND ((w.events IS NULL AND e.type = ANY(${DEFAULT_WEBHOOK_EVENTS as string[]}::text[])) OR e.type = ANY(w.events))
      ORDER BY e.ord
      ON CONFLICT (webhook_id, event_id) DO NOTHING
      RETURNING *`;
    const toCallbacks = await this.sql<Delivery[]>`
      INSERT INTO webhook_deliveries (id, callback_url, event_id, event_type, subject_id, event_order, body, status, next_attempt_at)
      SELECT gen_random_uuid(), COALESCE(j.callback_url, producer.callback_url), e.event_id, e.type, e.subject_id, e.ord, e.body, 'pending', now()
      FROM ${unnested()}
      LEFT JOIN jobs j ON j.id = e.subject_id
      LEFT JOIN videos v ON v.id = e.subject_id
      LEFT JOIN jobs producer ON producer.id = v.source_job_id
      WHERE e.type = ANY(${DEFAULT_WEBHOOK_EVENTS as string[]}::text[]) AND COALESCE(j.callback_url, producer.callback_url) IS NOT NULL
      ORDER BY e.ord
      ON CONFLICT (event_id) WHERE webhook_id IS NULL DO NOTHING
      RETURNING *`;
    return [...toEndpoints, ...toCallbacks];
  }

  async findDelivery(id: string): Promise<Delivery | undefined> {
    const [row] = await this.sql<Delivery[]>`SELECT * FROM webhook_deliveries WHERE id = ${id}`;
    return row;
  }

  async listDeliveries(webhookId: string, limit: number, offset: number): Promise<{ items: Delivery[]; total: number }> {
    const items = await this.sql<Delivery[]>`
      SELECT * FROM webhook_deliveries WHERE webhook_id = ${webhookId} ORDER BY created_at DESC, event_order DESC LIMIT ${limit} OFFSET ${offset}`;
    const [count] = await this.sql<{ total: number }[]>`SELECT count(*)::int AS total FROM webhook_deliveries WHERE webhook_id = ${webhookId}`;
    return { items, total: count!.total };
  }

  /** A pending delivery of an earlier event of the same subject to the same receiver: this one waits for it. */
  async earlierPending(d: Delivery): Promise<Delivery | undefined> {
    const sameReceiver = d.webhookId !== null ? this.sql`webhook_id = ${d.webhookId}` : this.sql`webhook_id IS NULL AND callback_url = ${d.callbackUrl}`;
    const [row] = await this.sql<Delivery[]>`
      SELECT * FROM webhook_deliveries
      WHERE ${sameReceiver} AND subject_id = ${d.subjectId} AND status = 'pending' AND event_order < ${d.eventOrder}
      ORDER BY event_order LIMIT 1`;
    return row;
  }

  /** The callback deliveries of a job: its own events and its output video's, newest first. */
  async listCallbackDeliveries(subjectIds: readonly string[], limit: number, offset: number): Promise<{ items: Delivery[]; total: number }> {
    const items = await this.sql<Delivery[]>`
      SELECT * FROM webhook_deliveries WHERE webhook_id IS NULL AND subject_id = ANY(${subjectIds}::uuid[])
      ORDER BY created_at DESC, event_order DESC LIMIT ${limit} OFFSET ${offset}`;
    const [count] = await this.sql<{ total: number }[]>`
      SELECT count(*)::int AS total FROM webhook_deliveries WHERE webhook_id IS NULL AND subject_id = ANY(${subjectIds}::uuid[])`;
    return { items, total: count!.total };
  }

  /** Sends a callback delivery of one of `subjectIds` again, whatever became of it. */
  async replayCallback(subjectIds: readonly string[], id: string): Promise<Delivery | undefined> {
    const [row] = await this.sql<Delivery[]>`
      UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), updated_at = now()
      WHERE id = ${id} AND webhook_id IS NULL AND subject_id = ANY(${subjectIds}::uuid[]) RETURNING *`;
    return row;
  }

  /** Records an attempt, if nobody recorded attempt `attempts` of this delivery first. */
  async recordAttempt(d: Delivery, a: AttemptRecord): Promise<Delivery | undefined> {
    const [row] = await this.sql<Delivery[]>`
      UPDATE webhook_deliveries SET status = ${a.status}, attempts = attempts + 1, last_status_code = ${a.statusCode},
        last_response = ${a.response}, last_error = ${a.error}, next_attempt_at = ${a.nextAttemptAt},
        delivered_at = CASE WHEN ${a.status} = 'delivered' THEN now() ELSE delivered_at END, updated_at = now()
      WHERE id = ${d.id} AND status = 'pending' AND attempts = ${d.attempts} RETURNING *`;
    return row;
  }

  async postpone(d: Delivery, until: Date): Promise<void> {
    await this.sql`UPDATE webhook_deliveries SET next_attempt_at = ${until}, updated_at = now() WHERE id = ${d.id} AND status = 'pending'`;
  }

  /** Sends a delivery again, whatever became of it. */
  async replay(webhookId: string, id: string): Promise<Delivery | undefined> {
    const [row] = await this.sql<Delivery[]>`
      UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), updated_at = now()
      WHERE id = ${id} AND webhook_id = ${webhookId} RETURNING *`;
    return row;
  }

  /** Pending deliveries overdue by `lateMs`: their queue entry was lost with Redis. */
  async findOverdue(lateMs: number, limit: number): Promise<Delivery[]> {
    return this.sql<Delivery[]>`
      SELECT * FROM webhook_deliveries
      WHERE status = 'pending' AND next_attempt_at < now() - ${lateMs} * interval '1 millisecond'
      ORDER BY next_attempt_at LIMIT ${limit}`;
  }
}
