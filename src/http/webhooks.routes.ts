import { idempotentResourceId } from './idempotency.middleware.js';
import type { RequestHandler, Router } from 'express';
import { z } from 'zod';
import type { WebhookService } from '../services/webhook.service.js';
import { toDeliveryResource, toWebhookResource, WEBHOOK_EVENT_TYPES } from '../webhooks/webhook.js';
import { pathId } from './ids.js';
import { ownerTenantOf, tenantFilterOf } from './principal.js';
import { databaseDown, defineRoutes, jsonBodyErrors, routerFrom } from './route-declarations.js';
import { IdParam, TenantQuery, page } from './schemas.js';
import { parseBody, parseQuery } from './validate.js';

const EventList = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length)
  .describe('Event types to receive; unset: every type but job.progress.');
const Url = z.url({ protocol: /^https?$/ }).max(2048).describe('An http(s) URL; private and loopback addresses are refused unless WEBHOOK_ALLOW_PRIVATE=true.');

export const NewWebhookBody = z.strictObject({ url: Url, events: EventList.optional(), description: z.string().max(500).optional() });
export const WebhookPatchBody = z.strictObject({
  url: Url.optional(),
  events: EventList.nullable().optional(),
  description: z.string().max(500).nullable().optional(),
  enabled: z.boolean().optional(),
});

const WebhookSchema = z
  .object({
    id: z.uuid(),
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
    description: z.string().nullable(),
    enabled: z.boolean(),
    disabledReason: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Webhook' });
const WebhookWithSecret = WebhookSchema.extend({
  secret: z.string().describe('The signing secret (whsec_…), shown only here: at creation and rotation.'),
}).meta({ id: 'WebhookWithSecret' });
export const DeliverySchema = z
  .object({
    id: z.uuid(),
    webhookId: z.uuid(),
    eventId: z.uuid(),
    eventType: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastResponse: z.string().nullable().describe('The first 1 kB of the last answer.'),
    lastError: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'WebhookDelivery' });
const WebhookIdParams = z.object({ id: IdParam.describe('Webhook id') });
const DeliveryParams = z.object({ id: IdParam.describe('Webhook id'), deliveryId: IdParam.describe('Delivery id') });
export const DeliveryListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
});

export const webhookRoutes = defineRoutes({ base: '/api', access: 'apiKey', tag: 'webhooks' }, {
  create: {
    method: 'post',
    path: '/webhooks',
    summary: 'Register a webhook endpoint',
    description:
      'Deliveries follow the Standard Webhooks specification: headers `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; body `{id, type, createdAt, data}` with `data` the Job or Video as the API returns it. At least once, in order per job or video, retried with exponential backoff for WEBHOOK_MAX_AGE_HOURS; 2xx is delivered, 410 disables the endpoint.',
    body: { schema: NewWebhookBody, required: true },
    idempotent: true,
    responses: { 201: { description: 'The endpoint, with its secret (shown once)', json: WebhookWithSecret, headers: { Location: 'The endpoint' } } },
    errors: {
      ...jsonBodyErrors,
      422: { description: 'A URL that is not http(s) or points at a private address, or an unknown event type', codes: ['webhook_url_refused', 'validation_failed'] },
      ...databaseDown,
    },
  },
  list: {
    method: 'get',
    path: '/webhooks',
    summary: 'Every webhook endpoint',
    query: z.object({ tenant: TenantQuery }),
    responses: { 200: { description: 'The endpoints', json: z.object({ items: z.array(WebhookSchema) }) } },
    errors: databaseDown,
  },
  get: {
    method: 'get',
    path: '/webhooks/:id',
    summary: 'One webhook endpoint',
    params: WebhookIdParams,
    responses: { 200: { description: 'The endpoint', json: WebhookSchema } },
    errors: { 404: { description: 'Unknown webhook', codes: ['webhook_not_found'] }, ...databaseDown },
  },
  update: {
    method: 'patch',
    path: '/webhooks/:id',
    summary: 'Change an endpoint: its URL, events, description, or enable it again',
    params: WebhookIdParams,
    body: { schema: WebhookPatchBody, required: true },
    responses: { 200: { description: 'The endpoint', json: WebhookSchema } },
    errors: {
      ...jsonBodyErrors,
      404: { description: 'Unknown webhook', codes: ['webhook_not_found'] },
      422: { description: 'A bad URL or event type', codes: ['webhook_url_refused', 'validation_failed'] },
      ...databaseDown,
    },
  },
  delete: {
    method: 'delete',
    path: '/webhooks/:id',
    summary: 'Remove an endpoint and its delivery log',
    params: WebhookIdParams,
    responses: { 204: { description: 'Removed' } },
    errors: { 404: { description: 'Unknown webhook', codes: ['webhook_not_found'] }, ...databaseDown },
  },
  rotateSecret: {
    method: 'post',
    path: '/webhooks/:id/rotate-secret',
    summary: 'Replace the signing secret; the next delivery is signed with the new one',
    params: WebhookIdParams,
    responses: { 200: { description: 'The endpoint with its new secret (shown once)', json: WebhookWithSecret } },
    errors: { 404: { description: 'Unknown webhook', codes: ['webhook_not_found'] }, ...databaseDown },
  },
  deliveries: {
    method: 'get',
    path: '/webhooks/:id/deliveries',
    summary: 'The delivery log of an endpoint, newest first',
    params: WebhookIdParams,
    query: DeliveryListQuery,
    responses: { 200: { description: 'A page', json: page(DeliverySchema) } },
    errors: { 400: 'Bad query', 404: { description: 'Unknown webhook', codes: ['webhook_not_found'] }, ...databaseDown },
  },
  replay: {
    method: 'post',
    path: '/webhooks/:id/deliveries/:deliveryId/replay',
    summary: 'Send a delivery again, whatever became of it',
    params: DeliveryParams,
    responses: { 202: { description: 'The delivery, pending again', json: DeliverySchema } },
    errors: { 404: { description: 'Unknown webhook or delivery', codes: ['webhook_not_found', 'delivery_not_found'] }, ...databaseDown },
  },
});

export function webhooksRouter(webhooks: WebhookService, idempotency: RequestHandler): Router {
  const id = (raw: string | string[] | undefined) => pathId(raw, 'Webhook');
  return routerFrom(webhookRoutes, {
    create: async (req, res) => {
      const body = parseBody(NewWebhookBody, req.body);
      const w = await webhooks.create({ ...body, id: idempotentResourceId(res) }, ownerTenantOf(req));
      res.status(201).location(`/api/webhooks/${w.id}`).json({ ...toWebhookResource(w), secret: w.secret });
    },
    list: async (req, res) => {
      res.json({ items: (await webhooks.list(tenantFilterOf(req))).map(toWebhookResource) });
    },
    get: async (req, res) => {
      res.json(toWebhookResource(await webhooks.get(id(req.params.id), tenantFilterOf(req))));
    },
    update: async (req, res) => {
      const body = parseBody(WebhookPatchBody, req.body);
      res.json(toWebhookResource(await webhooks.update(id(req.params.id), body, tenantFilterOf(req))));
    },
    delete: async (req, res) => {
      await webhooks.delete(id(req.params.id), tenantFilterOf(req));
      res.status(204).end();
    },
    rotateSecret: async (req, res) => {
      const w = await webhooks.rotateSecret(id(req.params.id), tenantFilterOf(req));
      res.json({ ...toWebhookResource(w), secret: w.secret });
    },
    deliveries: async (req, res) => {
      const q = parseQuery(DeliveryListQuery, req.query);
      const { items, total } = await webhooks.deliveries(id(req.params.id), q.limit, q.offset, tenantFilterOf(req));
      res.json({ items: items.map(toDeliveryResource), total, limit: q.limit, offset: q.offset });
    },
    replay: async (req, res) => {
      const d = await webhooks.replay(id(req.params.id), pathId(req.params.deliveryId, 'Delivery'), tenantFilterOf(req));
      res.status(202).json(toDeliveryResource(d));
    },
  }, { idempotency });
}
